/* container_store.c — container records: IDs, names, the table, lookup,
 * config.v2.json on disk, and the JSON views (inspect, list, events). */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "engine/container_internal.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/images.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define ZERO_TIME       "0001-01-01T00:00:00Z"
#define RECORD_MAX      (8u << 20)
#define SIZE_WALK_DEPTH 256

/* ---- records in memory ---- */

struct ctr *ctr_new(struct containers *cs, const char *id)
{
	struct ctr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->refs = 1;
	c->cs = cs;
	c->monitor_eof_fd = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	pthread_mutex_init(&c->op, NULL);
	pthread_mutex_init(&c->save_lock, NULL);
	c->dir = path_join(cs->dir, id);
	c->run_dir = path_join(cs->run_dir, id);
	if (!c->dir || !c->run_dir) {
		ctr_unref(c);
		return NULL;
	}
	return c;
}

struct ctr *ctr_ref(struct ctr *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
	return c;
}

void ctr_mounts_free(struct ctr_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].type);
		free(m[i].name);
		free(m[i].source);
		free(m[i].destination);
		free(m[i].mode);
		free(m[i].propagation);
	}
	free(m);
}

void ctr_unref(struct ctr *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	json_decref(c->config);
	json_decref(c->host_config);
	json_decref(c->retired);
	json_decref(c->networking);
	json_decref(c->net_run);
	json_decref(c->args);
	free(c->path);
	free(c->created);
	ctr_mounts_free(c->mounts, c->n_mounts);
	free(c->dir);
	free(c->run_dir);
	free(c->log_path);
	free(c->lower_dir);
	free(c->cgroups_path);
	json_decref(c->process);
	json_decref(c->health);
	free(c->name);
	free(c->error);
	free(c->started_at);
	free(c->finished_at);
	free(c->log_stops);
	safe_close(c->monitor_eof_fd);
	pthread_mutex_destroy(&c->op);
	pthread_mutex_destroy(&c->save_lock);
	free(c);
}

const char *ctr_status_name(enum ctr_status s)
{
	static const char *const names[] = {
	        [CTR_CREATED] = "created",   [CTR_RUNNING] = "running",
	        [CTR_PAUSED] = "paused",     [CTR_RESTARTING] = "restarting",
	        [CTR_REMOVING] = "removing", [CTR_EXITED] = "exited",
	        [CTR_DEAD] = "dead",
	};
	return (unsigned)s < ELEMENTSOF(names) ? names[s] : "dead";
}

static int status_from_name(const char *s, enum ctr_status *ret)
{
	for (enum ctr_status i = CTR_CREATED; i <= CTR_DEAD; i++)
		if (streq(s, ctr_status_name(i))) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

bool ctr_is_running(const struct ctr *c)
{
	return c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
}

void ctr_set_error_locked(struct ctr *c, const char *msg)
{
	free(c->error);
	c->error = isempty(msg) ? NULL : strdup(msg);
}

int64_t ctr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *ctr_now_rfc3339(int64_t *ret_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ret_ns)
		*ret_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return rfc3339_format(&ts);
}

static int64_t time_ns_of(const char *s)
{
	struct timespec ts;

	if (isempty(s) || rfc3339_parse(s, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- IDs and names ---- */

int ctr_generate_id(char ret[65])
{
	unsigned char rnd[32];

	for (;;) {
		bool digits = true;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -errno;
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(ret + 2 * i, 3, "%02x", rnd[i]);
		/* dockerd's rule: a short ID that reads as a number would be
		 * taken for one by tools */
		for (size_t i = 0; i < 12; i++)
			digits = digits && ret[i] >= '0' && ret[i] <= '9';
		if (!digits)
			return 0;
	}
}

bool containers_name_valid(const char *name)
{
	const char *p = name;

	if (!p)
		return false;
	if (*p == '/')
		p++;
	if (strlen(p) < 2 || strlen(p) > CTR_NAME_MAX)
		return false;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
		return false;
	for (p++; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

/* Docker's namesgenerator: an adjective and a notable scientist or hacker. */
static const char *const name_left[] = {
        "admiring",    "adoring",   "affectionate", "agitated",      "amazing",   "angry",
        "awesome",     "beautiful", "blissful",     "bold",          "boring",    "brave",
        "busy",        "charming",  "clever",       "compassionate", "competent", "condescending",
        "confident",   "cool",      "cranky",       "crazy",         "dazzling",  "determined",
        "distracted",  "dreamy",    "eager",        "ecstatic",      "elastic",   "elated",
        "elegant",     "eloquent",  "epic",         "exciting",      "fervent",   "festive",
        "flamboyant",  "focused",   "friendly",     "frosty",        "funny",     "gallant",
        "gifted",      "goofy",     "gracious",     "great",         "happy",     "hardcore",
        "heuristic",   "hopeful",   "hungry",       "infallible",    "inspiring", "intelligent",
        "interesting", "jolly",     "jovial",       "keen",          "kind",      "laughing",
        "loving",      "lucid",     "magical",      "modest",        "musing",    "mystifying",
        "naughty",     "nervous",   "nice",         "nifty",         "nostalgic", "objective",
        "optimistic",  "peaceful",  "pedantic",     "pensive",       "practical", "priceless",
        "quirky",      "quizzical", "recursing",    "relaxed",       "reverent",  "romantic",
        "sad",         "serene",    "sharp",        "silly",         "sleepy",    "stoic",
        "strange",     "stupefied", "suspicious",   "sweet",         "tender",    "thirsty",
        "trusting",    "unruffled", "upbeat",       "vibrant",       "vigilant",  "vigorous",
        "wizardly",    "wonderful", "xenodochial",  "youthful",      "zealous",   "zen",
};
static const char *const name_right[] = {
        "agnesi",     "albattani",     "allen",        "almeida",
        "antonelli",  "archimedes",    "ardinghelli",  "aryabhata",
        "austin",     "babbage",       "banach",       "banzai",
        "bardeen",    "bartik",        "bassi",        "beaver",
        "bell",       "benz",          "bhabha",       "bhaskara",
        "black",      "blackburn",     "blackwell",    "bohr",
        "booth",      "borg",          "bose",         "bouman",
        "boyd",       "brahmagupta",   "brattain",     "brown",
        "buck",       "burnell",       "cannon",       "carson",
        "cartwright", "carver",        "cerf",         "chandrasekhar",
        "chaplygin",  "chatelet",      "chatterjee",   "chaum",
        "chebyshev",  "clarke",        "cohen",        "colden",
        "cori",       "cray",          "curie",        "curran",
        "darwin",     "davinci",       "dewdney",      "dhawan",
        "diffie",     "dijkstra",      "dirac",        "driscoll",
        "dubinsky",   "easley",        "edison",       "einstein",
        "elbakyan",   "elgamal",       "elion",        "ellis",
        "engelbart",  "euclid",        "euler",        "faraday",
        "feistel",    "fermat",        "fermi",        "feynman",
        "franklin",   "gagarin",       "galileo",      "galois",
        "ganguly",    "gates",         "gauss",        "germain",
        "goldberg",   "goldstine",     "goldwasser",   "golick",
        "goodall",    "gould",         "greider",      "grothendieck",
        "haibt",      "hamilton",      "haslett",      "hawking",
        "heisenberg", "hellman",       "hermann",      "herschel",
        "hertz",      "heyrovsky",     "hodgkin",      "hofstadter",
        "hoover",     "hopper",        "hugle",        "hypatia",
        "ishizaka",   "jackson",       "jang",         "jemison",
        "jennings",   "jepsen",        "johnson",      "joliot",
        "jones",      "kalam",         "kapitsa",      "kare",
        "keldysh",    "keller",        "kepler",       "khayyam",
        "khorana",    "kilby",         "kirch",        "knuth",
        "kowalevski", "lalande",       "lamarr",       "lamport",
        "leakey",     "leavitt",       "lederberg",    "lehmann",
        "lewin",      "lichterman",    "liskov",       "lovelace",
        "lumiere",    "mahavira",      "margulis",     "matsumoto",
        "maxwell",    "mayer",         "mccarthy",     "mcclintock",
        "mclaren",    "mclean",        "mcnulty",      "meitner",
        "mendel",     "mendeleev",     "meninsky",     "merkle",
        "mestorf",    "mirzakhani",    "montalcini",   "moore",
        "morse",      "moser",         "murdock",      "napier",
        "nash",       "neumann",       "newton",       "nightingale",
        "nobel",      "noether",       "northcutt",    "noyce",
        "panini",     "pare",          "pascal",       "pasteur",
        "payne",      "perlman",       "pike",         "poincare",
        "poitras",    "proskuriakova", "ptolemy",      "raman",
        "ramanujan",  "rhodes",        "ride",         "ritchie",
        "robinson",   "roentgen",      "rosalind",     "rubin",
        "saha",       "sammet",        "sanderson",    "satoshi",
        "shamir",     "shannon",       "shaw",         "shirley",
        "shockley",   "shtern",        "sinoussi",     "snyder",
        "solomon",    "spence",        "stonebraker",  "sutherland",
        "swanson",    "swartz",        "swirles",      "taussig",
        "tesla",      "tharp",         "thompson",     "torvalds",
        "tu",         "turing",        "varahamihira", "vaughan",
        "villani",    "visvesvaraya",  "volhard",      "wescoff",
        "wilbur",     "wiles",         "williams",     "williamson",
        "wilson",     "wing",          "wozniak",      "wright",
        "wu",         "yalow",         "yonath",       "zhukovsky",
};

char *ctr_generate_name_locked(struct containers *cs)
{
	for (unsigned attempt = 0;; attempt++) {
		uint32_t rnd[3];
		char *name;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return NULL;
		const char *l = name_left[rnd[0] % ELEMENTSOF(name_left)];
		const char *r = name_right[rnd[1] % ELEMENTSOF(name_right)];
		if (streq(l, "boring") && streq(r, "wozniak"))
			continue; /* Steve Wozniak is not boring (namesgenerator.go) */
		/* after a few collisions, a digit as dockerd adds one */
		name = attempt < 10 ? str_printf("/%s_%s", l, r)
		                    : str_printf("/%s_%s%u", l, r, rnd[2] % 10);
		if (!name)
			return NULL;
		if (!ctr_by_name_locked(cs, name))
			return name;
		free(name);
	}
}

/* ---- the table ---- */

struct ctr *ctr_by_name_locked(struct containers *cs, const char *name)
{
	for (size_t i = 0; i < cs->n; i++)
		if (streq(cs->v[i]->name, name))
			return cs->v[i];
	return NULL;
}

int ctr_table_add_locked(struct containers *cs, struct ctr *c)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;
		struct ctr **v = realloc(cs->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cs->v = v;
		cs->cap = cap;
	}
	cs->v[cs->n++] = ctr_ref(c);
	return 0;
}

void ctr_table_remove_locked(struct containers *cs, struct ctr *c)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->v[i] == c) {
			memmove(cs->v + i, cs->v + i + 1, (cs->n - i - 1) * sizeof(*cs->v));
			cs->n--;
			c->removed = true;
			pthread_cond_broadcast(&cs->cond);
			ctr_unref(c);
			return;
		}
}

struct ctr **ctr_table_copy(struct containers *cs, size_t *ret_n)
{
	struct ctr **v;
	size_t n = 0;

	pthread_mutex_lock(&cs->lock);
	v = calloc(cs->n + 1, sizeof(*v));
	for (size_t i = 0; v && i < cs->n; i++)
		if (!cs->v[i]->creating)
			v[n++] = ctr_ref(cs->v[i]);
	*ret_n = n;
	pthread_mutex_unlock(&cs->lock);
	return v;
}

void ctr_table_free(struct ctr **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		ctr_unref(v[i]);
	free(v);
}

int ctr_lookup_locked(struct containers *cs, const char *key, struct ctr **ret,
                      struct husk_error **err)
{
	_cleanup_free_ char *slashed = NULL;
	struct ctr *found = NULL;
	size_t klen;

	if (isempty(key))
		return error_set(err, ENOENT, "No such container: %s", key ? key : "");
	klen = strlen(key);
	for (size_t i = 0; i < cs->n; i++)
		if (!cs->v[i]->creating && streq(cs->v[i]->id, key)) {
			*ret = ctr_ref(cs->v[i]);
			return 0;
		}
	slashed = key[0] == '/' ? strdup(key) : str_printf("/%s", key);
	if (!slashed)
		return error_set(err, ENOMEM, "out of memory");
	if ((found = ctr_by_name_locked(cs, slashed)) && !found->creating) {
		*ret = ctr_ref(found);
		return 0;
	}
	if (klen > 64 || strspn(key, "0123456789abcdef") != klen)
		return error_set(err, ENOENT, "No such container: %s", key);
	found = NULL;
	for (size_t i = 0; i < cs->n; i++) {
		if (cs->v[i]->creating || strncmp(cs->v[i]->id, key, klen) != 0)
			continue;
		if (found)
			return error_set(err, ENOENT,
			                 "No such container: %s: multiple IDs found with provided "
			                 "prefix",
			                 key);
		found = cs->v[i];
	}
	if (!found)
		return error_set(err, ENOENT, "No such container: %s", key);
	*ret = ctr_ref(found);
	return 0;
}

int ctr_lookup(struct containers *cs, const char *key, struct ctr **ret, struct husk_error **err)
{
	int r;

	pthread_mutex_lock(&cs->lock);
	r = ctr_lookup_locked(cs, key, ret, err);
	pthread_mutex_unlock(&cs->lock);
	return r;
}

int containers_resolve(struct containers *cs, const char *name, char ret_id[65],
                       struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = NULL;
	int r = ctr_lookup(cs, name, &c, err);

	if (r == 0)
		memcpy(ret_id, c->id, 65);
	return r;
}

/* ---- the record on disk ---- */

static json_t *mounts_record_json(const struct ctr *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->n_mounts; i++) {
		const struct ctr_mount *m = &c->mounts[i];
		json_array_append_new(
		        a, json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "Type",
		                     m->type, "Name", json_string_or_null(m->name), "Source",
		                     m->source ? m->source : "", "Destination", m->destination,
		                     "Mode", m->mode ? m->mode : "", "Propagation",
		                     m->propagation ? m->propagation : "", "RW", m->rw, "Anonymous",
		                     m->anonymous, "NoCopy", m->nocopy));
	}
	return a;
}

/* The whole record; cs->lock held. */
static json_t *record_json_locked(const struct ctr *c)
{
	json_t *st = json_pack("{s:s, s:b, s:i, s:i, s:i, s:s, s:o, s:o}", "Status",
	                       ctr_status_name(c->status), "OOMKilled", c->oom_killed, "Pid",
	                       (int)c->pid, "MonitorPid", (int)c->monitor_pid, "ExitCode",
	                       c->exit_code, "Error", c->error ? c->error : "", "StartedAt",
	                       json_string_or_null(c->started_at), "FinishedAt",
	                       json_string_or_null(c->finished_at));

	if (st && c->health)
		json_object_set_new(st, "Health", json_deep_copy(c->health));
	return json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:i, s:b, s:b, s:b, s:i, "
	                 "s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
	                 "ID", c->id, "Created", c->created, "Path", c->path, "Args", c->args,
	                 "Config", c->config, "HostConfig", c->host_config, "NetworkingConfig",
	                 c->networking ? c->networking : json_null(), "Image", c->image_id.str,
	                 "Name", c->name, "RestartCount", c->restart_count, "HasBeenStartedBefore",
	                 c->started_before, "HasBeenManuallyStopped", c->manually_stopped,
	                 "SnapshotReady", c->snapshot_ready, "RunGen", (int)c->run_gen, "State", st,
	                 "MountPoints", mounts_record_json(c), "LogPath",
	                 json_string_or_null(c->log_path), "LowerDir",
	                 json_string_or_null(c->lower_dir), "CgroupsPath",
	                 json_string_or_null(c->cgroups_path), "NetRun",
	                 c->net_run ? json_incref(c->net_run) : json_null(), "ReadOnlyRecursive",
	                 c->ro_recursive);
}

int ctr_save(struct ctr *c, bool sync, struct husk_error **err)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *text = NULL;
	json_t *j;
	int r;

	pthread_mutex_lock(&c->save_lock);
	pthread_mutex_lock(&cs->lock);
	j = record_json_locked(c);
	pthread_mutex_unlock(&cs->lock);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		pthread_mutex_unlock(&c->save_lock);
		return error_set(err, ENOMEM, "out of memory");
	}
	{
		_cleanup_close_ int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			r = error_set_errno(err, errno, "open \"%s\"", c->dir);
		else if (sync)
			r = atomic_write_at(dfd, CTR_RECORD, text, strlen(text), 0600, err);
		else
			r = atomic_replace_at(dfd, CTR_RECORD, text, strlen(text), 0600, err);
	}
	pthread_mutex_unlock(&c->save_lock);
	return r;
}

static int mounts_from_record(struct ctr *c, json_t *a, struct husk_error **err)
{
	size_t i;
	json_t *m;

	if (!json_is_array(a))
		return 0;
	c->mounts = calloc(json_array_size(a) + 1, sizeof(*c->mounts));
	if (!c->mounts)
		return error_set(err, ENOMEM, "out of memory");
	json_array_foreach (a, i, m) {
		struct ctr_mount *d = &c->mounts[c->n_mounts];
		const char *t = json_string_value(json_object_get(m, "Type"));
		const char *dst = json_string_value(json_object_get(m, "Destination"));
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (!t || !dst)
			return error_set(err, EINVAL,
			                 "MountPoints[%zu]: Type and Destination required", i);
		d->type = strdup(t);
		d->destination = strdup(dst);
		d->name = name ? strdup(name) : NULL;
		d->source = strdup(json_string_value(json_object_get(m, "Source")) ?: "");
		d->mode = strdup(json_string_value(json_object_get(m, "Mode")) ?: "");
		d->propagation = strdup(json_string_value(json_object_get(m, "Propagation")) ?: "");
		d->rw = json_is_true(json_object_get(m, "RW"));
		d->anonymous = json_is_true(json_object_get(m, "Anonymous"));
		d->nocopy = json_is_true(json_object_get(m, "NoCopy"));
		c->n_mounts++;
		if (!d->type || !d->destination || !d->source || !d->mode || !d->propagation ||
		    (name && !d->name))
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int state_from_record(struct ctr *c, json_t *st, struct husk_error **err)
{
	const char *s = json_string_value(json_object_get(st, "Status"));
	const char *e = json_string_value(json_object_get(st, "Error"));
	const char *sa = json_string_value(json_object_get(st, "StartedAt"));
	const char *fa = json_string_value(json_object_get(st, "FinishedAt"));

	if (!s || status_from_name(s, &c->status) < 0)
		return error_set(err, EINVAL, "State.Status: unknown status \"%s\"", s ? s : "");
	c->oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
	c->pid = json_integer_value(json_object_get(st, "Pid"));
	c->monitor_pid = json_integer_value(json_object_get(st, "MonitorPid"));
	c->exit_code = json_integer_value(json_object_get(st, "ExitCode"));
	c->error = isempty(e) ? NULL : strdup(e);
	c->started_at = sa ? strdup(sa) : NULL;
	c->finished_at = fa ? strdup(fa) : NULL;
	c->started_ns = time_ns_of(sa);
	c->finished_ns = time_ns_of(fa);
	if (json_is_object(json_object_get(st, "Health")))
		c->health = json_deep_copy(json_object_get(st, "Health"));
	return 0;
}

int ctr_load(struct containers *cs, const char *id, struct ctr **ret, struct husk_error **err)
{
	_cleanup_(ctr_unrefp) struct ctr *c = ctr_new(cs, id);
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *j = NULL;
	const char *s;
	int r;

	if (!c || !(path = path_join(c->dir, CTR_RECORD)))
		return error_set(err, ENOMEM, "out of memory");
	r = json_load_path(path, RECORD_MAX, &j, err);
	if (r < 0)
		return r;
	if (!json_is_object(j) || !streq(json_string_value(json_object_get(j, "ID")), id))
		return error_set(err, EINVAL, "\"%s\": not the record of container %s", path, id);
	c->config = json_incref(json_object_get(j, "Config"));
	c->host_config = json_incref(json_object_get(j, "HostConfig"));
	c->args = json_incref(json_object_get(j, "Args"));
	if (!json_is_object(c->config) || !json_is_object(c->host_config) ||
	    !json_is_array(c->args))
		return error_set(err, EINVAL, "\"%s\": Config, HostConfig and Args required", path);
	if (json_is_object(json_object_get(j, "NetworkingConfig")))
		c->networking = json_incref(json_object_get(j, "NetworkingConfig"));
	c->path = strdup(json_string_value(json_object_get(j, "Path")) ?: "");
	c->created = strdup(json_string_value(json_object_get(j, "Created")) ?: ZERO_TIME);
	c->created_ns = time_ns_of(c->created);
	c->name = strdup(json_string_value(json_object_get(j, "Name")) ?: "");
	if ((s = json_string_value(json_object_get(j, "LogPath"))))
		c->log_path = strdup(s);
	if ((s = json_string_value(json_object_get(j, "LowerDir"))))
		c->lower_dir = strdup(s);
	if ((s = json_string_value(json_object_get(j, "CgroupsPath"))))
		c->cgroups_path = strdup(s);
	if (!c->path || !c->created || !c->name)
		return error_set(err, ENOMEM, "out of memory");
	s = json_string_value(json_object_get(j, "Image"));
	if (!s || digest_parse(s, &c->image_id, NULL) < 0)
		return error_set(err, EINVAL, "\"%s\": Image: invalid digest", path);
	c->restart_count = json_integer_value(json_object_get(j, "RestartCount"));
	c->started_before = json_is_true(json_object_get(j, "HasBeenStartedBefore"));
	c->manually_stopped = json_is_true(json_object_get(j, "HasBeenManuallyStopped"));
	c->snapshot_ready = json_is_true(json_object_get(j, "SnapshotReady"));
	c->run_gen = json_integer_value(json_object_get(j, "RunGen"));
	/* absent from records of older husk: read-only at the top, as then */
	c->ro_recursive = json_is_true(json_object_get(j, "ReadOnlyRecursive"));
	if (json_is_object(json_object_get(j, "NetRun")))
		c->net_run = json_incref(json_object_get(j, "NetRun"));
	r = state_from_record(c, json_object_get(j, "State"), err);
	if (r == 0)
		r = mounts_from_record(c, json_object_get(j, "MountPoints"), err);
	if (r < 0)
		return error_wrap(err, "\"%s\"", path);
	*ret = TAKE_PTR(c);
	return 0;
}

/* ---- JSON views ---- */

json_t *ctr_state_json_locked(const struct ctr *c)
{
	bool running =
	        c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
	json_t *st;

	st = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
	               ctr_status_name(c->status), "Running", running, "Paused",
	               c->status == CTR_PAUSED, "Restarting", c->status == CTR_RESTARTING,
	               "OOMKilled", c->oom_killed, "Dead", c->status == CTR_DEAD, "Pid",
	               (c->status == CTR_RUNNING || c->status == CTR_PAUSED) ? (int)c->pid : 0,
	               "ExitCode", c->exit_code, "Error", c->error ? c->error : "", "StartedAt",
	               c->started_at ? c->started_at : ZERO_TIME, "FinishedAt",
	               c->finished_at ? c->finished_at : ZERO_TIME);
	if (st && c->health)
		json_object_set_new(st, "Health", json_deep_copy(c->health));
	return st;
}

static const char *network_mode(const struct ctr *c)
{
	const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	return isempty(m) ? "default" : m;
}

/* A network the container is not on yet: what its EndpointsConfig entry
 * (epc, may be NULL) asks, as dockerd shows it before the start. */
static json_t *endpoint_json(json_t *epc)
{
	const char *mac = json_string_value(json_object_get(epc, "MacAddress"));

	return json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n, s:n}",
	                 "IPAMConfig", "Links", "Aliases", "MacAddress", mac ? mac : "",
	                 "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress", "",
	                 "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "",
	                 "GlobalIPv6PrefixLen", 0, "DriverOpts", "DNSNames");
}

/* Networks: the one network the container is in (none, host, bridge). */
static json_t *networks_json(const struct ctr *c)
{
	const char *m = network_mode(c);
	json_t *n, *run = json_object_get(c->net_run, "Networks");

	if (json_is_object(run))
		return json_deep_copy(run);
	n = json_object();

	if (startswith(m, "container:"))
		return n;
	/* what a bridge-mode container joins at start (network connect) */
	json_t *epc = json_object_get(c->networking, "EndpointsConfig"), *v;
	const char *key;
	if (streq(m, "none") || streq(m, "host"))
		epc = NULL;
	json_object_foreach (epc, key, v)
		json_object_set_new(n, streq(key, "default") ? "bridge" : key, endpoint_json(v));
	if (json_object_size(n))
		return n;
	if (streq(m, "default"))
		m = "bridge";
	json_object_set_new(n, m, endpoint_json(NULL));
	return n;
}

static json_t *network_settings_base(const struct ctr *c);

static json_t *network_settings_json(const struct ctr *c)
{
	json_t *o = network_settings_base(c), *ep, *ports = json_object_get(c->net_run, "Ports");
	const char *key;

	/* the top-level fields are those of the first network, as dockerd's */
	json_object_foreach (json_object_get(o, "Networks"), key, ep) {
		static const char *const fields[] = {"EndpointID", "Gateway", "IPAddress",
		                                     "IPPrefixLen", "MacAddress"};
		for (size_t i = 0; i < ELEMENTSOF(fields); i++)
			if (json_object_get(ep, fields[i]))
				json_object_set(o, fields[i], json_object_get(ep, fields[i]));
		break;
	}
	if (json_is_object(ports))
		json_object_set_new(o, "Ports", json_deep_copy(ports));
	return o;
}

/* `ps`'s Ports: [{IP, PrivatePort, PublicPort, Type}], unpublished ones
 * without IP and PublicPort. */
static json_t *list_ports_json(const struct ctr *c)
{
	json_t *out = json_array(), *list, *b;
	const char *key;
	size_t i;

	json_object_foreach (json_object_get(c->net_run, "Ports"), key, list) {
		int priv = atoi(key);
		const char *slash = strchr(key, '/');
		const char *type = slash ? slash + 1 : "tcp";
		if (!json_array_size(list))
			json_array_append_new(
			        out, json_pack("{s:i, s:s}", "PrivatePort", priv, "Type", type));
		json_array_foreach (list, i, b)
			json_array_append_new(
			        out,
			        json_pack("{s:O, s:i, s:i, s:s}", "IP",
			                  json_object_get(b, "HostIp"), "PrivatePort", priv,
			                  "PublicPort",
			                  atoi(json_string_value(json_object_get(b, "HostPort"))
			                               ?: "0"),
			                  "Type", type));
	}
	return out;
}

static json_t *network_settings_base(const struct ctr *c)
{
	return json_pack("{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s, "
	                 "s:i, s:s, s:s, s:o}",
	                 "Bridge", "", "SandboxID", "", "HairpinMode", 0, "LinkLocalIPv6Address",
	                 "", "LinkLocalIPv6PrefixLen", 0, "Ports", json_object(), "SandboxKey", "",
	                 "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "",
	                 "Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
	                 "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "", "MacAddress", "",
	                 "Networks", networks_json(c));
}

static json_t *mounts_json(const struct ctr *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < c->n_mounts; i++) {
		const struct ctr_mount *m = &c->mounts[i];
		json_t *o = json_object();
		json_object_set_new(o, "Type", json_string(m->type));
		if (m->name)
			json_object_set_new(o, "Name", json_string(m->name));
		json_object_set_new(o, "Source", json_string(m->source ? m->source : ""));
		json_object_set_new(o, "Destination", json_string(m->destination));
		if (streq(m->type, "volume"))
			json_object_set_new(o, "Driver", json_string("local"));
		json_object_set_new(o, "Mode", json_string(m->mode ? m->mode : ""));
		json_object_set_new(o, "RW", json_boolean(m->rw));
		json_object_set_new(o, "Propagation",
		                    json_string(m->propagation ? m->propagation : ""));
		json_array_append_new(a, o);
	}
	return a;
}

/* GraphDriver: overlay2's directories of the snapshot and its layers. */
static json_t *graph_driver_json(const struct ctr *c)
{
	struct store *s = c->cs->e->store;
	_cleanup_free_ char *base = NULL;

	if (!streq(store_driver(s), "overlay2"))
		return json_pack("{s:n, s:s}", "Data", "Name", store_driver(s));
	base = str_printf("%s/snapshots/%s", store_dir(s), c->id);
	if (!base)
		return NULL;
	return json_pack("{s:{s:s, s:s+, s:s+, s:s+}, s:s}", "Data", "LowerDir",
	                 c->lower_dir ? c->lower_dir : "", "MergedDir", base, "/merged", "UpperDir",
	                 base, "/upper", "WorkDir", base, "/work", "Name", "overlay2");
}

static const char *const config_order[] = {
        "Hostname",     "Domainname",   "User",        "AttachStdin",     "AttachStdout",
        "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
        "Env",          "Cmd",          "Healthcheck", "ArgsEscaped",     "Image",
        "Volumes",      "WorkingDir",   "Entrypoint",  "NetworkDisabled", "MacAddress",
        "OnBuild",      "Labels",       "StopSignal",  "StopTimeout",     "Shell",
        NULL,
};

/* Config in Docker's key order. */
/* dockerd (25+) fills the deprecated Config.MacAddress from the MAC asked
 * for the main network's endpoint, whatever the API version, for the
 * clients that still read it there (never a kernel-chosen address). */
static void config_mac(const struct ctr *c, json_t *o)
{
	const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	json_t *eps = json_object_get(c->networking, "EndpointsConfig"), *ep;

	if (!isempty(json_string_value(json_object_get(o, "MacAddress"))))
		return;
	if (isempty(mode))
		mode = "default";
	if (streq(mode, "none") || streq(mode, "host") || startswith(mode, "container:"))
		return;
	ep = json_object_get(eps, mode);
	if (!ep && (streq(mode, "default") || streq(mode, "bridge")))
		ep = json_object_get(eps, streq(mode, "bridge") ? "default" : "bridge");
	if (!isempty(json_string_value(json_object_get(ep, "MacAddress"))))
		json_object_set(o, "MacAddress", json_object_get(ep, "MacAddress"));
}

static json_t *config_json(const struct ctr *c)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	for (size_t i = 0; o && config_order[i]; i++)
		if ((v = json_object_get(c->config, config_order[i])))
			json_object_set(o, config_order[i], v);
	json_object_foreach (c->config, k, v)
		if (!json_object_get(o, k))
			json_object_set(o, k, v);
	config_mac(c, o);
	return o;
}

/* HostConfig without husk's private keys. */
static json_t *host_config_json_locked(const struct ctr *c)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach (c->host_config, k, v)
		if (!startswith(k, "__Husk"))
			json_object_set(o, k, v);
	return o;
}

static void add_size(json_t *o, struct ctr *c)
{
	struct containers *cs = c->cs;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_(image_config_freep) struct image_config *ic = NULL;
	uint64_t rw = ctr_size_rw(c), image = 0;

	if (store_image_get(cs->e->store, c->image_id.str, &img, NULL) == 0 &&
	    image_config_load(cs->e->store, img, &ic, NULL) == 0)
		image_size(cs->e->store, ic, &image, NULL);
	json_object_set_new(o, "SizeRw", json_integer((json_int_t)rw));
	json_object_set_new(o, "SizeRootFs", json_integer((json_int_t)(rw + image)));
}

json_t *ctr_inspect_json(struct ctr *c, bool size)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *resolv = path_join(c->dir, "resolv.conf"),
	                    *hostname = path_join(c->dir, "hostname"),
	                    *hosts = path_join(c->dir, "hosts");
	json_t *o;

	if (!resolv || !hostname || !hosts)
		return NULL;
	pthread_mutex_lock(&cs->lock);
	o = json_pack("{s:s, s:s, s:s, s:O, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, "
	              "s:s, s:s, s:s, s:o, s:o, s:o}",
	              "Id", c->id, "Created", c->created, "Path", c->path, "Args", c->args, "State",
	              ctr_state_json_locked(c), "Image", c->image_id.str, "ResolvConfPath", resolv,
	              "HostnamePath", hostname, "HostsPath", hosts, "LogPath",
	              c->log_path ? c->log_path : "", "Name", c->name, "RestartCount",
	              c->restart_count, "Driver", store_driver(cs->e->store), "Platform", "linux",
	              "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs",
	              ctr_exec_ids_locked(cs, c), "HostConfig", host_config_json_locked(c),
	              "GraphDriver", graph_driver_json(c));
	pthread_mutex_unlock(&cs->lock);
	if (!o)
		return NULL;
	if (size)
		add_size(o, c);
	json_object_set_new(o, "Mounts", mounts_json(c));
	json_object_set_new(o, "Config", config_json(c));
	json_object_set_new(o, "NetworkSettings", network_settings_json(c));
	return o;
}

void containers_human_duration(int64_t seconds, char *buf, size_t len)
{
	int64_t minutes = seconds / 60, hours = (seconds + 1800) / 3600;

	if (seconds < 1)
		snprintf(buf, len, "Less than a second");
	else if (seconds == 1)
		snprintf(buf, len, "1 second");
	else if (seconds < 60)
		snprintf(buf, len, "%lld seconds", (long long)seconds);
	else if (minutes == 1)
		snprintf(buf, len, "About a minute");
	else if (minutes < 60)
		snprintf(buf, len, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(seconds / 3600 / 24 / 365));
}

/* Docker's State.String(). */
static void status_text_locked(const struct ctr *c, char *buf, size_t len)
{
	int64_t now = ctr_now_ns();
	char d[64];

	switch (c->status) {
	case CTR_RUNNING:
	case CTR_PAUSED:
		containers_human_duration((now - c->started_ns) / 1000000000, d, sizeof(d));
		if (c->status == CTR_PAUSED)
			snprintf(buf, len, "Up %s (Paused)", d);
		else if (c->health) /* dockerd's Health.String() */
			snprintf(buf, len, "Up %s (%s%s)", d,
			         streq(ctr_health_status_locked(c), "starting") ? "health: " : "",
			         ctr_health_status_locked(c));
		else
			snprintf(buf, len, "Up %s", d);
		return;
	case CTR_RESTARTING:
		containers_human_duration((now - c->finished_ns) / 1000000000, d, sizeof(d));
		snprintf(buf, len, "Restarting (%d) %s ago", c->exit_code, d);
		return;
	case CTR_REMOVING:
		snprintf(buf, len, "Removal In Progress");
		return;
	case CTR_DEAD:
		snprintf(buf, len, "Dead");
		return;
	default:
		break;
	}
	if (!c->started_at) {
		snprintf(buf, len, "Created");
		return;
	}
	if (!c->finished_at) {
		buf[0] = 0;
		return;
	}
	containers_human_duration((now - c->finished_ns) / 1000000000, d, sizeof(d));
	snprintf(buf, len, "Exited (%d) %s ago", c->exit_code, d);
}

/* The Command column: Path and Args joined, as dockerd does. */
static char *command_text(const struct ctr *c)
{
	struct strbuf sb = {0};
	size_t i;
	json_t *a;

	strbuf_puts(&sb, c->path);
	json_array_foreach (c->args, i, a) {
		strbuf_puts(&sb, " ");
		strbuf_puts(&sb, json_string_value(a) ?: "");
	}
	return strbuf_steal(&sb);
}

json_t *ctr_list_json(struct ctr *c, bool size)
{
	struct containers *cs = c->cs;
	_cleanup_free_ char *cmd = command_text(c);
	json_t *labels = json_object_get(c->config, "Labels");
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	char status[128];
	json_t *o;

	if (!cmd)
		return NULL;
	pthread_mutex_lock(&cs->lock);
	status_text_locked(c, status, sizeof(status));
	o = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:{s:s}, s:{s:o}}",
	              "Id", c->id, "Names", c->name, "Image", image ? image : c->image_id.str,
	              "ImageID", c->image_id.str, "Command", cmd, "Created",
	              (json_int_t)(c->created_ns / 1000000000), "Ports", list_ports_json(c),
	              "Labels", json_is_object(labels) ? json_incref(labels) : json_object(),
	              "State", ctr_status_name(c->status), "Status", status, "HostConfig",
	              "NetworkMode", network_mode(c), "NetworkSettings", "Networks",
	              networks_json(c));
	pthread_mutex_unlock(&cs->lock);
	if (!o)
		return NULL;
	if (size)
		add_size(o, c);
	json_object_set_new(o, "Mounts", mounts_json(c));
	return o;
}

/* ---- size of the writable layer ---- */

static uint64_t dir_size(int dfd, unsigned depth)
{
	_cleanup_(closedirp) DIR *d = NULL;
	uint64_t total = 0;
	struct dirent *de;

	if (depth > SIZE_WALK_DEPTH || !(d = fdopendir(dfd))) {
		safe_close(dfd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += dir_size(sub, depth + 1);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			total += (uint64_t)st.st_size;
		}
	}
	return total;
}

uint64_t ctr_size_rw(struct ctr *c)
{
	struct store *s = c->cs->e->store;
	_cleanup_free_ char *p = NULL;
	int fd;

	p = str_printf("%s/snapshots/%s/%s", store_dir(s), c->id,
	               streq(store_driver(s), "overlay2") ? "upper" : "rootfs");
	if (!p)
		return 0;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : dir_size(fd, 0);
}

/* ---- events ---- */

json_t *ctr_event_attrs(struct ctr *c)
{
	struct containers *cs = c->cs;
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	json_t *labels = json_object_get(c->config, "Labels");
	json_t *a = json_object();
	const char *k;
	json_t *v;

	if (!a)
		return NULL;
	json_object_foreach (labels, k, v)
		if (json_is_string(v))
			json_object_set(a, k, v);
	json_object_set_new(a, "image", json_string(image ? image : c->image_id.str));
	pthread_mutex_lock(&cs->lock);
	json_object_set_new(a, "name", json_string(c->name + (c->name[0] == '/')));
	pthread_mutex_unlock(&cs->lock);
	return a;
}

void ctr_event(struct ctr *c, const char *action, json_t *extra)
{
	json_t *a = ctr_event_attrs(c);

	if (a && extra)
		json_object_update(a, extra);
	json_decref(extra);
	events_publish(c->cs->e->events, "container", action, c->id, a);
}
