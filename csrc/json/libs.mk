# json/: the simdjson shim (Debian's libsimdjson 3.0.1).
LDLIBS += -lsimdjson
