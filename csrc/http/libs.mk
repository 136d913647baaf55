# http/: the database server (dbserver.c) talks to PostgreSQL through libpq (Debian libpq-dev).
COMMON += $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
LDLIBS += -lpq
