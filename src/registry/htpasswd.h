/* htpasswd.h — Apache htpasswd files with bcrypt hashes, for
 * husk-registry's basic auth.
 *
 * Accepts exactly what `htpasswd -B` writes: `user:$2y$NN$<53 chars>`
 * lines ($2a$ and $2b$ too), blank lines and `#` comments. Any other hash
 * format is refused at load with an error naming the line. Passwords are
 * checked with libxcrypt's crypt_rn() and a constant-time comparison; the
 * file is re-read when it changes. It must never log, print or keep a
 * password in the clear.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "base/error.h"

struct htpasswd;

/* Parse buf (what names it in messages). -EINVAL naming the line, e.g.
 * `htpasswd "f" line 3: user "bob": unsupported hash format MD5 ($apr1$,
 * htpasswd -m): only bcrypt ($2y$, as htpasswd -B writes) is accepted`. */
int htpasswd_parse(const char *what, const char *buf, size_t len, struct htpasswd **ret,
                   struct husk_error **err);
/* Load path and remember it (and its mtime) for htpasswd_check(). */
int htpasswd_load(const char *path, struct htpasswd **ret, struct husk_error **err);
/* Number of users. */
size_t htpasswd_count(const struct htpasswd *h);
/* True when user/password match. A loaded file that changed on disk is
 * re-read first; when the new contents are invalid, every check fails
 * (fail closed) until they are fixed. Thread-safe. Unknown users cost as
 * much time as known ones. */
bool htpasswd_check(struct htpasswd *h, const char *user, const char *password);
void htpasswd_free(struct htpasswd *h);
DEFINE_CLEANUP_FUNC(struct htpasswd *, htpasswd_free)
