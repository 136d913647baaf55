LDLIBS += -lgmp
