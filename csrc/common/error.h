/* Internal: building the errmsg out-parameter of the C ABI. Not part of the ABI. */
#ifndef HP_ERROR_H
#define HP_ERROR_H

/* Stores a malloc'd, printf-formatted message in *errmsg (when errmsg is not NULL) and
 * returns status, so that failures read `return hp_err(errmsg, HP_EINVAL, "...", ...);`.
 * Never raises; if the message cannot be allocated, *errmsg is left NULL. */
int hp_err(char **errmsg, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like hp_err with HP_ESYS, appending ": <strerror(errno)>" for the current errno. */
int hp_err_errno(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
