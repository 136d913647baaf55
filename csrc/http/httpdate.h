/* Internal: the IMF-fixdate for the Date header ("Sun, 06 Nov 1994 08:49:37 GMT"). */
#ifndef HP_HTTP_HTTPDATE_H
#define HP_HTTP_HTTPDATE_H
#include <time.h>

enum { HP_HTTPDATE_LEN = 29 };

/* Writes exactly HP_HTTPDATE_LEN characters (and a NUL) for t into out[30]. */
void hp_httpdate(time_t t, char *out);

#endif
