/*
 * hdr.c - see hdr.h.
 *
 * A lookup is one hash of the length and the first and last letters into
 * a small open-addressed index, built once before main() from the table,
 * and a comparison with the entry (or two) found there: about as cheap as
 * the switch on the length each user used to have of its own. Most names
 * (Accept, User-Agent, Cookie...) are not in the table and end at an empty
 * slot.
 */
#include "hdr.h"

#include "ascii.h"
#include "http_parse.h"

#define E(n, f, w) {n, sizeof(n) - 1, (f), HDR_ID_OTHER, (w)}
#define EI(n, f, id, w) {n, sizeof(n) - 1, (f), (id), (w)}
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
    EI("Connection", HOP, HDR_ID_CONNECTION, CONN_WHY),
    E("Keep-Alive", HOP, CONN_WHY),
    E("Content-Type", HDR_REQ_DROP, NULL), /* sent as CONTENT_TYPE */
    EI("Content-Length", HDR_REQ_DROP | HDR_RESP_DROP | HDR_MANAGED, HDR_ID_CONTENT_LENGTH,
       FRAME_WHY),
    E("X-Forwarded-For", HDR_REQ_DROP, NULL), /* replaced by the peer address */
    E("Proxy-Connection", HOP, CONN_WHY),
    E("Transfer-Encoding", HOP, FRAME_WHY),
    EI("X-Accel-Buffering", HDR_RESP_DROP, HDR_ID_X_ACCEL_BUFFERING, NULL), /* for kiln */
    E("Proxy-Authenticate", HDR_RESP_DROP | HDR_HOP, NULL),
    E("Proxy-Authorization", HDR_REQ_DROP | HDR_HOP, NULL),
    E("Access-Control-Request-Method", HDR_REQ_CORS, NULL),
    E("Access-Control-Request-Headers", HDR_REQ_CORS, NULL),
};
const size_t hdr_table_len = sizeof hdr_table / sizeof hdr_table[0];

#define SLOTS 64 /* a power of two, well over twice the table */
_Static_assert(sizeof hdr_table / sizeof hdr_table[0] < SLOTS / 2, "hdr index too small");

static uint8_t slot_entry[SLOTS]; /* table index + 1; 0 = empty */

static unsigned slot_of(const char *name, size_t len)
{
    return ((unsigned)len * 31u + ascii_lower((uint8_t)name[0]) * 7u +
            ascii_lower((uint8_t)name[len - 1])) &
           (SLOTS - 1);
}

/* Before main() and before any thread: the index is read-only after. */
__attribute__((constructor)) static void hdr_index(void)
{
    for (size_t i = 0; i < hdr_table_len; i++) {
        unsigned h = slot_of(hdr_table[i].name, hdr_table[i].len);
        while (slot_entry[h] != 0)
            h = (h + 1) & (SLOTS - 1);
        slot_entry[h] = (uint8_t)(i + 1);
    }
}

unsigned hdr_class(const char *name, size_t len, const struct hdr_info **info)
{
    if (info != NULL)
        *info = NULL;
    if (len == 0 || len > 64)
        return 0;
    for (unsigned h = slot_of(name, len); slot_entry[h] != 0; h = (h + 1) & (SLOTS - 1)) {
        const struct hdr_info *e = &hdr_table[slot_entry[h] - 1];
        if (e->len == len && http_name_eq(name, (uint32_t)len, e->name, e->len)) {
            if (info != NULL)
                *info = e;
            return e->flags;
        }
    }
    return 0;
}
