# GMP for pidigits; hotpath-kernel links only these (with -lpthread -lm), statically.
KERNEL_LIBS := -lgmp
LDLIBS += $(KERNEL_LIBS)
