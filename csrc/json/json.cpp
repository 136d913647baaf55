/* The simdjson shim: parser handles, the flat record stream, lazy node access.
 *
 * The only C++ of the project. Everything crossing into C is extern "C" (json.h) and every
 * entry point catches all exceptions (std::bad_alloc from the record vector, anything
 * simdjson might throw) and turns them into a status. Nodes are indices into simdjson's DOM
 * tape (simdjson::internal::tape_ref, public in 3.0.1); the tape is pre-order, so the record
 * stream is one linear pass over it. Nothing here calls the Lua API.
 */
extern "C" {
#include "json/json.h"
#include "json/validate.h"
#include "common/common.h"
#include "common/error.h"
}

#include <simdjson.h>

#include <cstring>
#include <new>
#include <memory>
#include <vector>
#include <sys/mman.h>

using simdjson::internal::tape_ref;
using simdjson::internal::tape_type;

static_assert(sizeof(hp_json_rec) == 16, "hp_json_rec is 16 bytes in the FFI cdef");
static_assert(offsetof(hp_json_rec, type) == 0, "hp_json_rec.type");
static_assert(offsetof(hp_json_rec, n) == 4, "hp_json_rec.n");
static_assert(offsetof(hp_json_rec, v) == 8, "hp_json_rec.v");
static_assert(sizeof(((hp_json_rec *)0)->v) == 8, "hp_json_rec.v is 8 bytes");

/* The tape contract of json.h is simdjson 3's DOM tape. */
static_assert(HP_JSON_TAG_ROOT == (int)tape_type::ROOT, "tape tag ROOT");
static_assert(HP_JSON_TAG_ARRAY == (int)tape_type::START_ARRAY, "tape tag ARRAY");
static_assert(HP_JSON_TAG_OBJECT == (int)tape_type::START_OBJECT, "tape tag OBJECT");
static_assert(HP_JSON_TAG_END_ARRAY == (int)tape_type::END_ARRAY, "tape tag END_ARRAY");
static_assert(HP_JSON_TAG_END_OBJECT == (int)tape_type::END_OBJECT, "tape tag END_OBJECT");
static_assert(HP_JSON_TAG_STRING == (int)tape_type::STRING, "tape tag STRING");
static_assert(HP_JSON_TAG_INT == (int)tape_type::INT64, "tape tag INT");
static_assert(HP_JSON_TAG_UINT == (int)tape_type::UINT64, "tape tag UINT");
static_assert(HP_JSON_TAG_DOUBLE == (int)tape_type::DOUBLE, "tape tag DOUBLE");
static_assert(HP_JSON_TAG_TRUE == (int)tape_type::TRUE_VALUE, "tape tag TRUE");
static_assert(HP_JSON_TAG_FALSE == (int)tape_type::FALSE_VALUE, "tape tag FALSE");
static_assert(HP_JSON_TAG_NULL == (int)tape_type::NULL_VALUE, "tape tag NULL");
static_assert(HP_JSON_COUNT_SAT == simdjson::internal::JSON_COUNT_MASK, "tape count mask");
static_assert(sizeof(*((simdjson::dom::document *)0)->tape.get()) == 8, "tape words are 64-bit");
static_assert(sizeof(*((simdjson::dom::document *)0)->string_buf.get()) == 1, "string_buf bytes");
/* json.h promises 8 readable bytes from the start of every string: simdjson sizes string_buf
 * as 5/3 of the capacity (the worst case, all empty strings) plus SIMDJSON_PADDING. */
static_assert(simdjson::SIMDJSON_PADDING >= 8, "string_buf padding covers an 8-byte read");

struct hp_json_parser {
    simdjson::dom::parser dom;
    std::vector<hp_json_rec> recs;
    std::unique_ptr<char[]> pad;   /* the padded copy of the input simdjson parses */
    size_t padcap = 0;
    uint64_t gen = 0;        /* generation of the current document */
    bool live = false;       /* a document is current */
    unsigned max_depth = HP_JSON_DEFAULT_DEPTH;
    size_t released_words = 0, released_bytes = 0;   /* hp_json_tape_release watermarks */
    /* Node checks (check_node): bit i of starts is set when tape word i begins a value or an
     * object key, of keys when it is an object key. Built on the first check of a node other
     * than the root, once per document (gen == marks_gen). */
    std::vector<uint64_t> starts, keys;
    uint64_t marks_gen = 0;
};

/* ---- helpers ------------------------------------------------------------------------------ */

/* Documents from this size on hand their padded copy and stage-1 index back to the kernel
 * after the parse, and their tape as the builder consumes it (peak memory of large decodes). */
static const size_t BIG = (size_t)1 << 20;

/* Gives back the whole pages inside [ptr, ptr + bytes) (they read as zeros later). For
 * parser buffers that simdjson rewrites before reading on the next parse; chunk headers of
 * the allocator lie outside the range. */
static void drop_pages(const void *ptr, size_t bytes)
{
#ifdef MADV_DONTNEED
    uintptr_t a = ((uintptr_t)ptr + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)ptr + bytes) & ~(uintptr_t)4095;
    if (ptr && e > a)
        (void)madvise((void *)a, e - a, MADV_DONTNEED);
#else
    (void)ptr;
    (void)bytes;
#endif
}

static int parse_error(const char *s, size_t len, unsigned max_depth, simdjson::error_code ec,
                       char **errmsg)
{
    if (ec == simdjson::MEMALLOC)
        return hp_err(errmsg, HP_ENOMEM, "out of memory parsing %zu bytes of JSON", len);
    if (ec == simdjson::CAPACITY)
        return hp_err(errmsg, HP_ELIMIT, "JSON document of %zu bytes is beyond simdjson's 4 GB limit", len);
    size_t off;
    const char *what;
    if (hp_json_locate_error(s, len, max_depth, &off, &what)) {
        if (strcmp(what, "nesting too deep") == 0)
            return hp_err(errmsg, HP_ELIMIT, "nesting deeper than %u at byte %zu", max_depth, off);
        if (off < len && (strcmp(what, "unexpected character") == 0 ||
                          strcmp(what, "trailing content after the document") == 0)) {
            unsigned char ch = (unsigned char)s[off];
            if (ch >= 0x20 && ch < 0x7f)
                return hp_err(errmsg, HP_EPARSE, "%s '%c' at byte %zu", what, ch, off);
            return hp_err(errmsg, HP_EPARSE, "%s (byte 0x%02x) at byte %zu", what, ch, off);
        }
        return hp_err(errmsg, HP_EPARSE, "%s at byte %zu", what, off);
    }
    return hp_err(errmsg, HP_EPARSE, "invalid JSON: %s", simdjson::error_message(ec));
}

static int stale(char **errmsg)
{
    return hp_err(errmsg, HP_EINVAL,
                  "JSON document used after its parser parsed another document");
}

/* The index of the root word that closes the current document (the root value's words are
 * 1 .. doc_end - 1). */
static size_t doc_end(const hp_json_parser *p)
{
    return tape_ref(&p->dom.doc, 1).after_element();
}

/* Sets the bits of p->starts and p->keys for the current document: one pass over the tape,
 * plus one walk over the members of every object (jumping over nested containers), so O(words)
 * in all. May throw std::bad_alloc (callers catch). */
static void mark_nodes(hp_json_parser *p)
{
    const simdjson::dom::document *doc = &p->dom.doc;
    const uint64_t *tape = doc->tape.get();
    size_t end = doc_end(p);
    p->marks_gen = 0;
    p->starts.assign(end / 64 + 1, 0);
    p->keys.assign(end / 64 + 1, 0);
    uint64_t *st = p->starts.data(), *ks = p->keys.data();
    for (size_t i = 1; i < end;) {
        unsigned tag = (unsigned)(tape[i] >> 56);
        if (tag == HP_JSON_TAG_END_ARRAY || tag == HP_JSON_TAG_END_OBJECT) {
            i++;
            continue;
        }
        st[i / 64] |= (uint64_t)1 << (i % 64);
        if (tag == HP_JSON_TAG_OBJECT) {
            size_t close = (size_t)(tape[i] & 0xFFFFFFFFu) - 1;
            for (size_t j = i + 1; j < close; j = tape_ref(doc, j + 1).after_element())
                ks[j / 64] |= (uint64_t)1 << (j % 64);
        }
        i += (tag == HP_JSON_TAG_INT || tag == HP_JSON_TAG_UINT || tag == HP_JSON_TAG_DOUBLE) ? 2 : 1;
    }
    p->marks_gen = p->gen;
}

static bool bit(const std::vector<uint64_t> &v, size_t i)
{
    return (v[i / 64] >> (i % 64)) & 1;
}

enum node_kind { NODE_VALUE = 0, NODE_OR_KEY = 1 };

/* Checks that node is a node of the current document of generation gen: the start of a value
 * (NODE_OR_KEY: or of an object key), never a number's payload word, a closing brace or an
 * index outside the document, which would make record() read a type tag from raw bits.
 * Returns HP_OK, or HP_EINVAL with the message in *errmsg. Never throws. */
static int check_node(hp_json_parser *p, uint64_t gen, size_t node, node_kind kind,
                      char **errmsg)
{
    if (!p->live || gen != p->gen)
        return stale(errmsg);
    if (node == 1)
        return HP_OK;   /* the root: every parsed document has one */
    if (node == 0 || node >= doc_end(p))
        return hp_err(errmsg, HP_EINVAL, "JSON node %zu is not a value of this document", node);
    try {
        if (p->marks_gen != p->gen)
            mark_nodes(p);
    } catch (...) {
        return hp_err(errmsg, HP_ENOMEM, "out of memory checking a JSON node");
    }
    if (!bit(p->starts, node) || (kind == NODE_VALUE && bit(p->keys, node)))
        return hp_err(errmsg, HP_EINVAL, "JSON node %zu is not a value of this document", node);
    return HP_OK;
}

/* Element/pair count of the container at node (tape counts saturate at 2^24 - 1). */
static uint32_t count_of(const simdjson::dom::document *doc, size_t node)
{
    tape_ref t(doc, node);
    uint32_t n = t.scope_count();
    if (n < 0xFFFFFF)
        return n;
    bool obj = t.tape_ref_type() == tape_type::START_OBJECT;
    size_t end = t.matching_brace_index() - 1, i = node + 1;
    n = 0;
    while (i < end) {
        if (obj)
            i++;
        i = tape_ref(doc, i).after_element();
        n++;
    }
    return n;
}

/* The record of the value at node (containers: type and count). */
static void record(const simdjson::dom::document *doc, size_t node, hp_json_rec *r)
{
    tape_ref t(doc, node);
    r->n = 0;
    r->v.u = 0;
    switch (t.tape_ref_type()) {
    case tape_type::START_ARRAY: r->type = HP_JSON_ARRAY; r->n = count_of(doc, node); break;
    case tape_type::START_OBJECT: r->type = HP_JSON_OBJECT; r->n = count_of(doc, node); break;
    case tape_type::STRING:
        r->type = HP_JSON_STRING;
        r->n = t.get_string_length();
        r->v.s = t.get_c_str();
        break;
    case tape_type::INT64: r->type = HP_JSON_INT; r->v.i = t.next_tape_value<int64_t>(); break;
    case tape_type::UINT64: r->type = HP_JSON_UINT; r->v.u = t.next_tape_value<uint64_t>(); break;
    case tape_type::DOUBLE: r->type = HP_JSON_DOUBLE; r->v.d = t.next_tape_value<double>(); break;
    case tape_type::TRUE_VALUE: r->type = HP_JSON_TRUE; break;
    case tape_type::FALSE_VALUE: r->type = HP_JSON_FALSE; break;
    default: r->type = HP_JSON_NULL; break;
    }
}

/* Appends the records of the subtree at node; depth-checks against max_depth (simdjson's own
 * limit is a safety net one level looser). Returns HP_OK or HP_ELIMIT (depth, with *deep_at
 * set to the tape index). May throw std::bad_alloc (caught by the callers). */
static int flatten(hp_json_parser *p, size_t node, unsigned max_depth)
{
    const simdjson::dom::document *doc = &p->dom.doc;
    const uint64_t *tape = doc->tape.get();
    size_t end = tape_ref(doc, node).after_element();
    p->recs.clear();
    p->recs.reserve(end - node);
    unsigned depth = 0;
    for (size_t i = node; i < end;) {
        uint64_t w = tape[i];
        char c = (char)(w >> 56);
        if (c == ']' || c == '}') {
            depth--;
            i++;
            continue;
        }
        hp_json_rec r;
        record(doc, i, &r);
        p->recs.push_back(r);
        if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return HP_ELIMIT;
            i++;
        } else if (c == 'l' || c == 'u' || c == 'd') {
            i += 2;
        } else {
            i++;
        }
    }
    return HP_OK;
}

/* Whether the current document nests arrays/objects (empty ones too) deeper than
 * max_depth: one pass over the tape. */
static bool deeper_than(const simdjson::dom::document *doc, unsigned max_depth)
{
    const uint64_t *tape = doc->tape.get();
    size_t end = tape_ref(doc, 1).after_element();
    unsigned depth = 0;
    for (size_t i = 1; i < end;) {
        unsigned tag = (unsigned)(tape[i] >> 56);
        if (tag == HP_JSON_TAG_ARRAY || tag == HP_JSON_TAG_OBJECT) {
            if (++depth > max_depth)
                return true;
        } else if (tag == HP_JSON_TAG_END_ARRAY || tag == HP_JSON_TAG_END_OBJECT) {
            depth--;
        }
        i += (tag == HP_JSON_TAG_INT || tag == HP_JSON_TAG_UINT || tag == HP_JSON_TAG_DOUBLE) ? 2 : 1;
    }
    return false;
}

static int depth_error(const char *s, size_t len, unsigned max_depth, char **errmsg)
{
    size_t off = 0;
    const char *what;
    hp_json_locate_error(s, len, max_depth, &off, &what);
    return hp_err(errmsg, HP_ELIMIT, "nesting deeper than %u at byte %zu", max_depth, off);
}

/* ---- the C ABI ---------------------------------------------------------------------------- */

extern "C" hp_json_parser *hp_json_parser_new(void)
{
    try {
        return new hp_json_parser();
    } catch (...) {
        return nullptr;
    }
}

extern "C" void hp_json_parser_free(hp_json_parser *p)
{
    delete p;   /* destructors of simdjson and std::vector do not throw */
}

extern "C" int hp_json_parse(hp_json_parser *p, const char *s, size_t len, unsigned max_depth,
                             uint64_t *gen, char **errmsg)
{
    if (!p || (!s && len))
        return hp_err(errmsg, HP_EINVAL, "hp_json_parse: NULL parser or input");
    if (max_depth == 0)
        max_depth = HP_JSON_DEFAULT_DEPTH;
    if (max_depth > HP_JSON_MAX_DEPTH)
        return hp_err(errmsg, HP_EINVAL, "max_depth %u is above %d", max_depth, (int)HP_JSON_MAX_DEPTH);
    p->live = false;
    p->gen++;
    try {
        const char *body = s;
        size_t blen = len;
        if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
            body += 3;
            blen -= 3;
        }
        /* simdjson's depth limit D admits non-empty containers D - 1 deep (their contents
         * count as one more level) and empty ones D deep: at D = max_depth it may refuse a
         * document within our limit, never admit one beyond it (see the retry below). */
        if (p->dom.max_depth() != (size_t)max_depth || p->dom.capacity() < blen) {
            size_t cap = blen > p->dom.capacity() ? blen : p->dom.capacity();
            auto ec = p->dom.allocate(cap < 64 ? 64 : cap, (size_t)max_depth);
            if (ec)
                return parse_error(s, len, max_depth, ec, errmsg);
        }
        /* simdjson may read SIMDJSON_PADDING bytes past the input: it parses a padded copy,
         * ours (reused across calls) rather than its own, so that the copy of a large input
         * and its stage-1 index, neither read after the parse, can be handed back to the
         * kernel before the Lua values are built (the peak of a large decode). */
        if (!p->pad || p->padcap < blen) {   /* a fresh parser has none, even for 0 bytes */
            size_t cap = blen < 4096 ? 4096 : blen;
            p->pad.reset(new (std::nothrow) char[cap + simdjson::SIMDJSON_PADDING]);
            p->padcap = p->pad ? cap : 0;
            if (!p->pad)
                return hp_err(errmsg, HP_ENOMEM, "out of memory copying %zu bytes of JSON", blen);
        }
        if (blen)
            memcpy(p->pad.get(), body, blen);
        memset(p->pad.get() + blen, 0, simdjson::SIMDJSON_PADDING);
        simdjson::dom::element root;
        auto ec = p->dom.parse(p->pad.get(), blen, false).get(root);
        bool deep = false;
        if (ec == simdjson::DEPTH_ERROR) {
            /* Refused for depth: its deepest non-empty containers may sit at exactly
             * max_depth, which is allowed. Parse again one level looser; then only an empty
             * container one level too deep can have passed, and the tape tells (the retry
             * costs only documents at the limit). */
            ec = p->dom.allocate(p->dom.capacity(), (size_t)max_depth + 1);
            if (!ec)
                ec = p->dom.parse(p->pad.get(), blen, false).get(root);
            deep = !ec && deeper_than(&p->dom.doc, max_depth);
        }
        if (blen >= BIG) {
            drop_pages(p->pad.get(), blen);
            drop_pages(p->dom.implementation->structural_indexes.get(),
                       ((size_t)p->dom.implementation->n_structural_indexes + 1) * sizeof(uint32_t));
        }
        if (ec)
            return parse_error(s, len, max_depth, ec, errmsg);
        if (deep)
            return depth_error(s, len, max_depth, errmsg);
        p->live = true;
        p->max_depth = max_depth;
        *gen = p->gen;
        return HP_OK;
    } catch (const std::bad_alloc &) {
        return hp_err(errmsg, HP_ENOMEM, "out of memory parsing JSON");
    } catch (...) {
        return hp_err(errmsg, HP_EPARSE, "invalid JSON (simdjson raised an exception)");
    }
}

extern "C" int hp_json_flatten(hp_json_parser *p, uint64_t gen, size_t node,
                               const hp_json_rec **recs, size_t *nrecs, char **errmsg)
{
    if (!p)
        return stale(errmsg);
    int rc = check_node(p, gen, node, NODE_VALUE, errmsg);
    if (rc != HP_OK)
        return rc;
    try {
        /* A subtree is never deeper than its document, which parse already bounded. */
        if (flatten(p, node, HP_JSON_MAX_DEPTH + 1) != HP_OK)
            return hp_err(errmsg, HP_ELIMIT, "nesting too deep");
        *recs = p->recs.data();
        *nrecs = p->recs.size();
        return HP_OK;
    } catch (...) {
        return hp_err(errmsg, HP_ENOMEM, "out of memory flattening a JSON document");
    }
}

extern "C" int hp_json_decode(hp_json_parser *p, const char *s, size_t len, unsigned max_depth,
                              const hp_json_rec **recs, size_t *nrecs, char **errmsg)
{
    uint64_t gen;
    int rc = hp_json_parse(p, s, len, max_depth, &gen, errmsg);
    if (rc != HP_OK)
        return rc;
    try {
        if (flatten(p, 1, p->max_depth) != HP_OK) {
            p->live = false;
            return depth_error(s, len, p->max_depth, errmsg);
        }
        *recs = p->recs.data();
        *nrecs = p->recs.size();
        return HP_OK;
    } catch (...) {
        p->live = false;
        return hp_err(errmsg, HP_ENOMEM, "out of memory decoding JSON");
    }
}

extern "C" int hp_json_node(hp_json_parser *p, uint64_t gen, size_t node, hp_json_rec *out,
                            char **errmsg)
{
    if (!p)
        return stale(errmsg);
    int rc = check_node(p, gen, node, NODE_OR_KEY, errmsg);
    if (rc != HP_OK)
        return rc;
    record(&p->dom.doc, node, out);
    return HP_OK;
}

/* Compares the pointer token (with ~0 and ~1 escapes) to a key of klen bytes. */
static bool token_eq(const char *tok, size_t tlen, const char *key, size_t klen)
{
    size_t k = 0;
    for (size_t i = 0; i < tlen; i++, k++) {
        char ch = tok[i];
        if (ch == '~')
            ch = tok[++i] == '0' ? '~' : '/';
        if (k >= klen || key[k] != ch)
            return false;
    }
    return k == klen;
}

/* Resolves the pointer from node, a checked value of the current document. The nodes it
 * passes through are found by walking the tape, so the result needs no check. */
static int resolve(hp_json_parser *p, size_t node, const char *ptr, size_t len, size_t *out,
                   char **errmsg)
{
    if (len && ptr[0] != '/')
        return hp_err(errmsg, HP_EINVAL, "JSON pointer must be empty or start with '/'");
    for (size_t i = 0; i < len; i++)
        if (ptr[i] == '~' && (i + 1 >= len || (ptr[i + 1] != '0' && ptr[i + 1] != '1')))
            return hp_err(errmsg, HP_EINVAL, "invalid '~' escape at byte %zu of the JSON pointer", i);
    const simdjson::dom::document *doc = &p->dom.doc;
    size_t cur = node, pos = 0;
    while (pos < len) {
        const char *tok = ptr + pos + 1;
        const char *slash = (const char *)memchr(tok, '/', len - pos - 1);
        size_t tlen = slash ? (size_t)(slash - tok) : len - pos - 1;
        pos += 1 + tlen;
        tape_ref t(doc, cur);
        tape_type ty = t.tape_ref_type();
        size_t end = ty == tape_type::START_ARRAY || ty == tape_type::START_OBJECT
                         ? t.matching_brace_index() - 1 : 0;
        size_t found = 0;
        if (ty == tape_type::START_OBJECT) {
            for (size_t i = cur + 1; i < end;) {
                tape_ref k(doc, i);
                /* A key given twice: the last one wins, as in decode (json.md). */
                if (token_eq(tok, tlen, k.get_c_str(), k.get_string_length()))
                    found = i + 1;
                i = tape_ref(doc, i + 1).after_element();
            }
        } else if (ty == tape_type::START_ARRAY) {
            /* Decimal index without leading zeros ("-" names the end: nothing). */
            bool ok = tlen > 0 && tlen < 12 && !(tlen > 1 && tok[0] == '0');
            size_t idx = 0;
            for (size_t i = 0; ok && i < tlen; i++) {
                ok = tok[i] >= '0' && tok[i] <= '9';
                idx = idx * 10 + (size_t)(tok[i] - '0');
            }
            if (ok) {
                size_t i = cur + 1;
                while (i < end && idx > 0) {
                    i = tape_ref(doc, i).after_element();
                    idx--;
                }
                if (i < end)
                    found = i;
            }
        }
        if (!found) {
            *out = 0;
            return HP_OK;
        }
        cur = found;
    }
    *out = cur;
    return HP_OK;
}

extern "C" int hp_json_pointer(hp_json_parser *p, uint64_t gen, size_t node, const char *ptr,
                               size_t len, size_t *out, char **errmsg)
{
    if (!p)
        return stale(errmsg);
    int rc = check_node(p, gen, node, NODE_VALUE, errmsg);
    if (rc != HP_OK)
        return rc;
    return resolve(p, node, ptr, len, out, errmsg);
}

extern "C" int hp_json_lookup(hp_json_parser *p, uint64_t gen, size_t node, const char *ptr,
                              size_t len, size_t *found, hp_json_rec *out, char **errmsg)
{
    if (!p)
        return stale(errmsg);
    int rc = check_node(p, gen, node, NODE_VALUE, errmsg);
    if (rc == HP_OK && len)
        rc = resolve(p, node, ptr, len, &node, errmsg);
    if (rc != HP_OK)
        return rc;
    *found = node;
    if (node)
        record(&p->dom.doc, node, out);
    return HP_OK;
}

extern "C" int hp_json_next(hp_json_parser *p, uint64_t gen, size_t node, size_t *cursor,
                            size_t *key, size_t *child)
{
    if (!p || check_node(p, gen, node, NODE_VALUE, NULL) != HP_OK)
        return -1;
    const simdjson::dom::document *doc = &p->dom.doc;
    tape_ref t(doc, node);
    tape_type ty = t.tape_ref_type();
    if (ty != tape_type::START_ARRAY && ty != tape_type::START_OBJECT)
        return -1;
    size_t end = t.matching_brace_index() - 1;
    size_t i = *cursor ? *cursor : node + 1;
    if (i == end)
        return 0;
    /* A cursor from outside: a child start (objects: a key) strictly inside the container.
     * (One that names a grandchild is memory-safe: it walks that container's children and
     * then fails on its closing brace.) */
    if (*cursor && (i <= node || i > end ||
                    check_node(p, gen, i, ty == tape_type::START_OBJECT ? NODE_OR_KEY : NODE_VALUE,
                               NULL) != HP_OK ||
                    (ty == tape_type::START_OBJECT && !bit(p->keys, i))))
        return -1;
    if (ty == tape_type::START_OBJECT) {
        *key = i;
        i++;
    } else {
        *key = 0;
    }
    *child = i;
    *cursor = tape_ref(doc, i).after_element();
    return 1;
}

/* ---- the tape ----------------------------------------------------------------------------- */

static void tape_of(hp_json_parser *p, size_t node, unsigned max_depth, hp_json_tape *out)
{
    out->words = p->dom.doc.tape.get();
    out->strings = p->dom.doc.string_buf.get();
    out->begin = node;
    out->max_depth = max_depth;
    out->release_every = 0;
    out->owner = p;
}

extern "C" int hp_json_decode_tape(hp_json_parser *p, const char *s, size_t len,
                                   unsigned max_depth, hp_json_tape *out, char **errmsg)
{
    uint64_t gen;
    int rc = hp_json_parse(p, s, len, max_depth, &gen, errmsg);
    if (rc != HP_OK)
        return rc;
    tape_of(p, 1, p->max_depth, out);
    if (len >= BIG) {
        out->release_every = (size_t)1 << 17;   /* 1 MB of words */
        p->released_words = p->released_bytes = 0;
    }
    return HP_OK;
}

extern "C" void hp_json_tape_release(hp_json_parser *p, size_t word, size_t strbytes)
{
    if (!p)
        return;
    p->live = false;
    const uint64_t *tape = p->dom.doc.tape.get();
    const uint8_t *sb = p->dom.doc.string_buf.get();
    if (word > p->released_words) {
        drop_pages(tape + p->released_words, (word - p->released_words) * sizeof *tape);
        p->released_words = word;
    }
    if (strbytes > p->released_bytes) {
        drop_pages(sb + p->released_bytes, strbytes - p->released_bytes);
        p->released_bytes = strbytes;
    }
}

extern "C" int hp_json_subtree_tape(hp_json_parser *p, uint64_t gen, size_t node,
                                    hp_json_tape *out, char **errmsg)
{
    if (!p)
        return stale(errmsg);
    int rc = check_node(p, gen, node, NODE_VALUE, errmsg);
    if (rc != HP_OK)
        return rc;
    /* A subtree is never deeper than its document, which parse already bounded. */
    tape_of(p, node, HP_JSON_MAX_DEPTH + 1, out);
    return HP_OK;
}

extern "C" int hp_json_depth_fail(hp_json_parser *p, const char *s, size_t len, char **errmsg)
{
    unsigned max_depth = p ? p->max_depth : (unsigned)HP_JSON_DEFAULT_DEPTH;
    if (p)
        p->live = false;
    return depth_error(s, len, max_depth, errmsg);
}
