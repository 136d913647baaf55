/* The http/ module's part of the C ABI (csrc/hotpath.h includes this one line's worth):
 * load generator, response parser, histograms, request building, reference servers, server
 * processes (their memory samples are proc/memory.h's). Each header below carries its own ABI
 * marker. */
#ifndef HP_HTTP_HTTP_H
#define HP_HTTP_HTTP_H
#include "http/hist.h"
#include "http/parser.h"
#include "http/request.h"
#include "http/load.h"
#include "http/server.h"
#include "http/child.h"
#endif
