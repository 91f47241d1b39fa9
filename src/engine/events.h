/* events.h — the daemon's event bus, as `GET /events` and `docker events`
 * see it.
 *
 * Every subsystem publishes what happened (a container started, an image
 * was tagged, a volume removed); subscribers get the events that match
 * their Docker filters, first those still in the ring of the last
 * EVENTS_RING_SIZE events that fall inside their since/until window, then
 * the new ones as they come. Thread-safe: publish from any thread, each
 * subscription is read by one thread.
 *
 * It must never block a publisher on a slow subscriber (a subscriber that
 * lets EVENTS_SUB_QUEUE_MAX events pile up loses the oldest), fail
 * visibly on publish, or keep anything on disk.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "base/error.h"

#define EVENTS_RING_SIZE     1024
#define EVENTS_SUB_QUEUE_MAX 4096

struct events;
struct events_sub;

/* A new, empty bus. NULL on OOM. */
struct events *events_new(void);
/* Free the bus; subscriptions must have been freed before. Accepts NULL. */
void events_free(struct events *ev);
DEFINE_CLEANUP_FUNC(struct events *, events_free)

/* Publish an event. type: "container", "image", "volume", "network",
 * "daemon"; action: Docker's ("create", "start", "die", "destroy", "kill",
 * "stop", "pause", "unpause", "rename", "restart", "attach", "exec_create",
 * "exec_start", "exec_die", "oom", "pull", "push", "tag", "untag",
 * "delete", "import", "load", "save", "prune", …); id: the actor (may be
 * NULL or ""); attributes: a string→string object (stolen; may be NULL),
 * e.g. name, image, exitCode, signal. The time is now. Never fails
 * visibly: on OOM the event is dropped. ev may be NULL (nothing happens). */
void events_publish(struct events *ev, const char *type, const char *action, const char *id,
                    json_t *attributes);
/* The same with a given time (ns since the epoch), for tests and replays. */
void events_publish_at(struct events *ev, const char *type, const char *action, const char *id,
                       json_t *attributes, int64_t time_ns);

/* Subscribe. since/until (may be NULL or ""): unix seconds with an
 * optional fraction ("1700000000.5"), RFC 3339, a date or date-time
 * without a zone (local time), or a Go duration before now ("10m", "1h30m")
 * — as docker accepts them; -EINVAL `failed to parse value as time or
 * duration: "x"`. filters: Docker's events filters JSON (may be NULL):
 * type, event, container, image, volume, network, label, daemon, scope,
 * plugin, node, service, secret, config; -EINVAL "invalid filter 'x'" for
 * another key. With since or until, the ring's events inside
 * [since, until] that match are delivered first. */
int events_subscribe(struct events *ev, const char *since, const char *until, json_t *filters,
                     struct events_sub **ret, struct husk_error **err);

/* The next event as Docker's JSON (a new reference):
 * {"status","id","from" (legacy, container and image events only),
 *  "Type","Action","Actor":{"ID","Attributes"},"scope":"local","time",
 *  "timeNano"}.
 * Waits up to timeout_ms (-1: for ever). NULL on timeout, or with
 * *ret_done = true (ret_done may be NULL) once `until` has passed and
 * everything before it was delivered: the subscription is over. */
json_t *events_sub_next(struct events_sub *s, int timeout_ms, bool *ret_done);
/* An eventfd that is readable while an event is pending, to poll() beside
 * other fds. Owned by the subscription. */
int events_sub_fd(struct events_sub *s);
/* How many ms until `until` passes (0 when it has), or -1 without until:
 * the longest a poll on events_sub_fd() should wait. */
int events_sub_timeout(struct events_sub *s);
/* Unsubscribe and free. Accepts NULL. */
void events_sub_free(struct events_sub *s);
DEFINE_CLEANUP_FUNC(struct events_sub *, events_sub_free)

/* Docker's timetypes.GetTimestamp: value as above, relative to now_ns for
 * durations, into ns since the epoch. -EINVAL with the message above. */
int events_parse_time(const char *value, int64_t now_ns, int64_t *ret_ns, struct husk_error **err);

/* Whether an event (Docker JSON as events_sub_next gives it) passes the
 * filters (already validated). */
bool events_filter_match(json_t *filters, json_t *event);
