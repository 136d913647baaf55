/* Internal: the database reference server (test HP_SERVER_DB of http/server.h): TechEmpower's
 * single-query (GET /db: one random World row as {"id":N,"randomNumber":M}) and
 * multiple-queries (GET /queries?queries=N: N rows as an array, N clamped to 1..500 per
 * http/dbroute.h) tests against PostgreSQL, through libpq's asynchronous API.
 *
 * Each server thread has its own epoll loop and SO_REUSEPORT listener (the server core,
 * srvcore.h) and one PostgreSQL connection in pipeline mode (libpq >= 14): every query of
 * every request the thread parses is sent at once (a prepared statement, binary results), one Sync per epoll batch, and the
 * results come back in the order sent, so the thread keeps one FIFO of waiting requests and
 * each HTTP connection's responses go out in request order without reordering. Limits
 * (doc/http.md, "Database server"): the request parser's (reqparse.h), at most
 * HP_DB_CONN_PENDING requests waiting per connection (reading stops meanwhile), and the
 * server core's (srvcore.h: output, timeouts, accept back-off). */
#ifndef HP_HTTP_DBSERVER_H
#define HP_HTTP_DBSERVER_H

struct hp_server_spec;

enum { HP_DB_CONN_PENDING = 128 };

/* Serves spec (test HP_SERVER_DB, spec->pg a libpq conninfo string) until its duration
 * passes. Connects every thread's database connection and prepares the statement before it
 * signals ready_fd: a database that cannot be reached is HP_ESYS "PostgreSQL: <libpq's
 * message>", a missing World table fails the prepare the same way. Blocks. */
int hp_dbserver_run(const struct hp_server_spec *spec, char **errmsg);

#endif
