# http/: the database server (dbserver.c) talks to PostgreSQL through libpq (Debian libpq-dev for
# the header, libpq5 at run time), loaded with dlopen when a database server starts (pq.h): not
# linked, so that no other process maps libpq's dependency chain.
COMMON += $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
LDLIBS += -ldl
