/*
 * hdr.c - see hdr.h.
 *
 * The table is sorted by (length, first letter lower-cased): a lookup is a
 * binary search on that key and a comparison with the few entries that
 * share it, about as cheap as the switch on the length each user used to
 * have of its own (test_hdr.c checks the order).
 */
#include "hdr.h"

#include "ascii.h"
#include "http_parse.h"

#define E(n, f, w) {n, sizeof(n) - 1, (f), (w)}
#define HOP (HDR_REQ_DROP | HDR_RESP_DROP | HDR_MANAGED | HDR_HOP)
#define CONN_WHY "it is hop-by-hop; kiln manages connections"
#define FRAME_WHY "kiln frames every response itself"

const struct hdr_info hdr_table[] = {
    E("TE", HOP, CONN_WHY),
    E("Date", HDR_RESP_DROP | HDR_MANAGED, "kiln sends the current Date on every response"),
    E("Host", HDR_REQ_DROP, NULL), /* sent as HTTP_HOST from the parsed host */
    E("Proxy", HDR_REQ_DROP, NULL), /* httpoxy: it would become HTTP_PROXY */
    E("Expect", HDR_REQ_DROP, NULL),
    E("Origin", HDR_REQ_CORS, NULL),
    E("Server", HDR_RESP_DROP, NULL), /* kiln sends none */
    E("Trailer", HOP, CONN_WHY),
    E("Upgrade", HOP, CONN_WHY),
    E("X-Real-IP", HDR_REQ_DROP, NULL), /* replaced by the peer address */
    E("Connection", HOP, CONN_WHY),
    E("Keep-Alive", HOP, CONN_WHY),
    E("Content-Type", HDR_REQ_DROP, NULL), /* sent as CONTENT_TYPE */
    E("Content-Length", HDR_REQ_DROP | HDR_RESP_DROP | HDR_MANAGED, FRAME_WHY),
    E("X-Forwarded-For", HDR_REQ_DROP, NULL), /* replaced by the peer address */
    E("Proxy-Connection", HOP, CONN_WHY),
    E("Transfer-Encoding", HOP, FRAME_WHY),
    E("X-Accel-Buffering", HDR_RESP_DROP, NULL), /* for kiln, as for nginx */
    E("Proxy-Authenticate", HDR_RESP_DROP | HDR_HOP, NULL),
    E("Proxy-Authorization", HDR_REQ_DROP | HDR_HOP, NULL),
    E("Access-Control-Request-Method", HDR_REQ_CORS, NULL),
    E("Access-Control-Request-Headers", HDR_REQ_CORS, NULL),
};
const size_t hdr_table_len = sizeof hdr_table / sizeof hdr_table[0];

static unsigned key_of(size_t len, uint8_t first)
{
    return (unsigned)len << 8 | ascii_lower(first);
}

unsigned hdr_class(const char *name, size_t len, const struct hdr_info **info)
{
    size_t lo = 0, hi = hdr_table_len;
    unsigned key;

    if (info != NULL)
        *info = NULL;
    if (len == 0 || len > 64)
        return 0;
    key = key_of(len, (uint8_t)name[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (key_of(hdr_table[mid].len, (uint8_t)hdr_table[mid].name[0]) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < hdr_table_len; lo++) {
        const struct hdr_info *h = &hdr_table[lo];
        if (key_of(h->len, (uint8_t)h->name[0]) != key)
            break;
        if (http_name_eq(name, (uint32_t)len, h->name, h->len)) {
            if (info != NULL)
                *info = h;
            return h->flags;
        }
    }
    return 0;
}
