/* spec_resources.c — linux.resources (also the document of `update
 * --resources`): device rules, memory, cpu, pids, blockIO, hugepages,
 * network, unified. Scalar fields are read from tables of {key, kind,
 * offset}; each given field sets its has_* flag.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "base/str.h"
#include "oci/spec_internal.h"

/* ---- scalar fields by table ---- */

enum field_kind {
	F_BOOL,
	F_I64, /* int64_t, >= min */
	F_U64, /* uint64_t, <= max */
	F_U16, /* uint16_t */
	F_U32, /* uint32_t */
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t has_off, val_off;
	int64_t min;  /* F_I64 */
	uint64_t max; /* F_U64 */
};

#define R(f) offsetof(struct oci_resources, f)
#define BOOL_F(k, h, v)                                                                            \
	{                                                                                          \
		k, F_BOOL, R(h), R(v), 0, 0                                                        \
	}
#define I64_F(k, h, v, mn)                                                                         \
	{                                                                                          \
		k, F_I64, R(h), R(v), mn, 0                                                        \
	}
#define U64_F(k, h, v, mx)                                                                         \
	{                                                                                          \
		k, F_U64, R(h), R(v), 0, mx                                                        \
	}
#define U16_F(k, h, v)                                                                             \
	{                                                                                          \
		k, F_U16, R(h), R(v), 0, 0                                                         \
	}
#define U32_F(k, h, v)                                                                             \
	{                                                                                          \
		k, F_U32, R(h), R(v), 0, 0                                                         \
	}
#define UNLIMITED (-1) /* memory values: -1 is "no limit" */

static const struct field memory_fields[] = {
        I64_F("limit", has_mem_limit, mem_limit, UNLIMITED),
        I64_F("reservation", has_mem_reservation, mem_reservation, UNLIMITED),
        I64_F("swap", has_mem_swap, mem_swap, UNLIMITED),
        I64_F("kernel", has_mem_kernel, mem_kernel, UNLIMITED),
        I64_F("kernelTCP", has_mem_kernel_tcp, mem_kernel_tcp, UNLIMITED),
        U64_F("swappiness", has_mem_swappiness, mem_swappiness, 100),
        BOOL_F("disableOOMKiller", has_disable_oom_killer, disable_oom_killer),
        BOOL_F("useHierarchy", has_use_hierarchy, use_hierarchy),
        BOOL_F("checkBeforeUpdate", has_check_before_update, check_before_update),
};

static const struct field cpu_fields[] = {
        U64_F("shares", has_cpu_shares, cpu_shares, UINT64_MAX),
        I64_F("quota", has_cpu_quota, cpu_quota, UNLIMITED),
        U64_F("burst", has_cpu_burst, cpu_burst, UINT64_MAX),
        U64_F("period", has_cpu_period, cpu_period, UINT64_MAX),
        I64_F("realtimeRuntime", has_cpu_rt_runtime, cpu_rt_runtime, UNLIMITED),
        U64_F("realtimePeriod", has_cpu_rt_period, cpu_rt_period, UINT64_MAX),
        I64_F("idle", has_cpu_idle, cpu_idle, INT64_MIN),
};

static const struct field pids_fields[] = {
        I64_F("limit", has_pids_limit, pids_limit, INT64_MIN),
};

static const struct field blkio_fields[] = {
        U16_F("weight", has_blkio_weight, blkio_weight),
        U16_F("leafWeight", has_blkio_leaf_weight, blkio_leaf_weight),
};

static const struct field network_fields[] = {
        U32_F("classID", has_net_class_id, net_class_id),
};

static int parse_field(const json_t *o, const char *path, const struct field *f, char *base,
                       struct husk_error **err)
{
	void *val = base + f->val_off;
	uint64_t u = 0;

	switch (f->kind) {
	case F_BOOL:
		return json_get_bool(o, path, f->key, false, val, err);
	case F_I64:
		return spec_get_i64_range(o, path, f->key, false, f->min, INT64_MAX, val, err);
	case F_U64:
		return spec_get_u64_max(o, path, f->key, false, f->max, val, err);
	case F_U16:
		if (spec_get_u64_max(o, path, f->key, false, UINT16_MAX, &u, err) < 0)
			return -EINVAL;
		*(uint16_t *)val = (uint16_t)u;
		return 0;
	case F_U32:
		return spec_get_u32(o, path, f->key, false, val, err);
	}
	return -EINVAL;
}

static int parse_fields(const json_t *o, const char *path, const struct field *fields, size_t n,
                        struct oci_resources *r, struct husk_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (!spec_has(o, fields[i].key))
			continue;
		if (parse_field(o, path, &fields[i], (char *)r, err) < 0)
			return -EINVAL;
		*(bool *)((char *)r + fields[i].has_off) = true;
	}
	return 0;
}

/* ---- device rules ---- */

static int parse_access(json_t *item, const char *path, struct oci_device_rule *d,
                        struct husk_error **err)
{
	static const char rwm[] = "rwm";
	const char *s = rwm;
	bool seen[3] = {false, false, false};
	char q[SPEC_QUOTE_MAX];
	size_t o = 0;

	if (json_get_string(item, path, "access", false, &s, err) < 0)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		const char *at = strchr(rwm, *p);

		if (!at || seen[at - rwm])
			return spec_fail(err, path, "access",
			                 "invalid access %s (want a subset of rwm)",
			                 spec_quote(s, q));
		seen[at - rwm] = true;
	}
	if (!*s)
		return spec_fail(err, path, "access", "must not be empty");
	for (int i = 0; i < 3; i++)
		if (seen[i])
			d->access[o++] = rwm[i];
	d->access[o] = '\0';
	return 0;
}

static int parse_device_rule(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_device_rule *d = elem;
	const char *type = "a";
	char q[SPEC_QUOTE_MAX];

	d->major = d->minor = -1;
	if (json_get_bool(item, path, "allow", true, &d->allow, err) < 0 ||
	    json_get_string(item, path, "type", false, &type, err) < 0)
		return -EINVAL;
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return spec_fail(err, path, "type", "unknown device type %s (want a, b or c)",
		                 spec_quote(type, q));
	d->type = type[0];
	if (spec_get_i64_range(item, path, "major", false, -1, UINT32_MAX, &d->major, err) < 0 ||
	    spec_get_i64_range(item, path, "minor", false, -1, UINT32_MAX, &d->minor, err) < 0)
		return -EINVAL;
	return parse_access(item, path, d, err);
}

/* ---- blockIO ---- */

static int parse_major_minor(json_t *item, const char *path, int64_t *major, int64_t *minor,
                             struct husk_error **err)
{
	if (spec_get_i64_range(item, path, "major", true, 0, UINT32_MAX, major, err) < 0 ||
	    spec_get_i64_range(item, path, "minor", true, 0, UINT32_MAX, minor, err) < 0)
		return -EINVAL;
	return 0;
}

static int parse_weight_device(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_weight_device *w = elem;
	uint64_t weight = 0, leaf = 0;

	if (parse_major_minor(item, path, &w->major, &w->minor, err) < 0 ||
	    spec_get_u64_max(item, path, "weight", false, UINT16_MAX, &weight, err) < 0 ||
	    spec_get_u64_max(item, path, "leafWeight", false, UINT16_MAX, &leaf, err) < 0)
		return -EINVAL;
	w->has_weight = spec_has(item, "weight");
	w->has_leaf_weight = spec_has(item, "leafWeight");
	w->weight = (uint16_t)weight;
	w->leaf_weight = (uint16_t)leaf;
	return 0;
}

static int parse_throttle(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_throttle *t = elem;

	if (parse_major_minor(item, path, &t->major, &t->minor, err) < 0)
		return -EINVAL;
	return spec_get_u64(item, path, "rate", true, &t->rate, err);
}

static const struct spec_array_type throttle_type = {sizeof(struct oci_throttle), parse_throttle,
                                                     NULL};

static int parse_throttles(const json_t *o, const char *path, struct oci_resources *r,
                           struct husk_error **err)
{
	const struct {
		const char *key;
		struct oci_throttle **list;
		size_t *n;
	} lists[] = {
	        {"throttleReadBpsDevice", &r->throttle_read_bps, &r->n_throttle_read_bps},
	        {"throttleWriteBpsDevice", &r->throttle_write_bps, &r->n_throttle_write_bps},
	        {"throttleReadIOPSDevice", &r->throttle_read_iops, &r->n_throttle_read_iops},
	        {"throttleWriteIOPSDevice", &r->throttle_write_iops, &r->n_throttle_write_iops},
	};

	for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
		void *v = NULL;

		if (spec_parse_array(o, path, lists[i].key, false, &throttle_type, &v, lists[i].n,
		                     err) < 0)
			return -EINVAL;
		free(*lists[i].list);
		*lists[i].list = v;
	}
	return 0;
}

static int parse_blkio(const json_t *o, const char *path, struct oci_resources *r,
                       struct husk_error **err)
{
	static const struct spec_array_type weight_type = {sizeof(struct oci_weight_device),
	                                                   parse_weight_device, NULL};
	void *v = NULL;

	if (parse_fields(o, path, blkio_fields, ELEMENTSOF(blkio_fields), r, err) < 0 ||
	    spec_parse_array(o, path, "weightDevice", false, &weight_type, &v,
	                     &r->n_blkio_weight_devices, err) < 0)
		return -EINVAL;
	free(r->blkio_weight_devices);
	r->blkio_weight_devices = v;
	return parse_throttles(o, path, r, err);
}

/* ---- hugepages, network, unified ---- */

/* "2MB", "1GB", "64KB": the page size names the cgroup file
 * (hugetlb.<size>.limit_in_bytes), so nothing else may pass. */
static bool page_size_valid(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	return digits > 0 && s[digits] && strchr("KMG", s[digits]) && streq(s + digits + 1, "B");
}

static int parse_hugepage(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_hugepage_limit *h = elem;
	char q[SPEC_QUOTE_MAX];

	if (spec_get_strdup(item, path, "pageSize", true, &h->page_size, err) < 0)
		return -EINVAL;
	if (!page_size_valid(h->page_size))
		return spec_fail(err, path, "pageSize", "invalid page size %s",
		                 spec_quote(h->page_size, q));
	return spec_get_u64(item, path, "limit", true, &h->limit, err);
}

static void hugepage_release(void *elem)
{
	free(((struct oci_hugepage_limit *)elem)->page_size);
}

static int parse_priority(json_t *item, const char *path, void *elem, struct husk_error **err)
{
	struct oci_kv *kv = elem;
	uint32_t prio = 0;

	if (spec_get_strdup(item, path, "name", true, &kv->key, err) < 0 ||
	    spec_get_u32(item, path, "priority", true, &prio, err) < 0)
		return -EINVAL;
	kv->value = str_printf("%u", prio);
	return kv->value ? 0 : spec_oom(err);
}

static void kv_release(void *elem)
{
	struct oci_kv *kv = elem;

	free(kv->key);
	free(kv->value);
}

static int parse_network(const json_t *o, const char *path, struct oci_resources *r,
                         struct husk_error **err)
{
	static const struct spec_array_type prio_type = {sizeof(struct oci_kv), parse_priority,
	                                                 kv_release};
	void *v = NULL;

	if (parse_fields(o, path, network_fields, ELEMENTSOF(network_fields), r, err) < 0 ||
	    spec_parse_array(o, path, "priorities", false, &prio_type, &v, &r->n_net_priorities,
	                     err) < 0)
		return -EINVAL;
	r->net_priorities = v;
	return 0;
}

/* runc: a file name of the form <controller>.<parameter>, no slashes. */
static int check_unified(const struct oci_resources *r, const char *path, struct husk_error **err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified[i].key, *dot = strchr(k, '.');
		char q[SPEC_QUOTE_MAX];

		if (strchr(k, '/') || !dot || dot == k || !dot[1])
			return spec_fail(err, path, "unified",
			                 "invalid key %s: want a <controller>.<file> name",
			                 spec_quote(k, q));
	}
	return 0;
}

/* ---- the whole object ---- */

typedef int (*section_fn)(const json_t *o, const char *path, struct oci_resources *r,
                          struct husk_error **err);

static int parse_section(json_t *obj, const char *path, const char *key, section_fn fn,
                         struct oci_resources *r, struct husk_error **err)
{
	_cleanup_free_ char *p = spec_path(path, key);
	json_t *o = NULL;

	if (!p)
		return spec_oom(err);
	if (json_get_object(obj, path, key, false, &o, err) < 0)
		return -EINVAL;
	return o ? fn(o, p, r, err) : 0;
}

static int parse_memory(const json_t *o, const char *path, struct oci_resources *r,
                        struct husk_error **err)
{
	return parse_fields(o, path, memory_fields, ELEMENTSOF(memory_fields), r, err);
}

static int parse_cpu(const json_t *o, const char *path, struct oci_resources *r,
                     struct husk_error **err)
{
	if (parse_fields(o, path, cpu_fields, ELEMENTSOF(cpu_fields), r, err) < 0 ||
	    spec_get_strdup(o, path, "cpus", false, &r->cpu_cpus, err) < 0 ||
	    spec_get_strdup(o, path, "mems", false, &r->cpu_mems, err) < 0)
		return -EINVAL;
	return 0;
}

static int parse_pids(const json_t *o, const char *path, struct oci_resources *r,
                      struct husk_error **err)
{
	return parse_fields(o, path, pids_fields, ELEMENTSOF(pids_fields), r, err);
}

/* RDMA limits are accepted and not applied (features says rdma: false). */
static int parse_rdma(const json_t *o, const char *path, struct oci_resources *r,
                      struct husk_error **err)
{
	return 0;
}

static int parse_lists(json_t *obj, const char *path, struct oci_resources *r,
                       struct husk_error **err)
{
	static const struct spec_array_type dev_type = {sizeof(struct oci_device_rule),
	                                                parse_device_rule, NULL};
	static const struct spec_array_type huge_type = {sizeof(struct oci_hugepage_limit),
	                                                 parse_hugepage, hugepage_release};
	void *devs = NULL, *huge = NULL;

	if (spec_parse_array(obj, path, "devices", false, &dev_type, &devs, &r->n_devices, err) < 0)
		return -EINVAL;
	r->devices = devs;
	if (spec_parse_array(obj, path, "hugepageLimits", false, &huge_type, &huge,
	                     &r->n_hugepage_limits, err) < 0)
		return -EINVAL;
	r->hugepage_limits = huge;
	if (spec_parse_kv(obj, path, "unified", &r->unified, &r->n_unified, err) < 0)
		return -EINVAL;
	return check_unified(r, path, err);
}

int oci_resources_parse(json_t *obj, const char *path, struct oci_resources *ret,
                        struct husk_error **err)
{
	static const struct {
		const char *key;
		section_fn fn;
	} sections[] = {
	        {"memory", parse_memory}, {"cpu", parse_cpu},         {"pids", parse_pids},
	        {"blockIO", parse_blkio}, {"network", parse_network}, {"rdma", parse_rdma},
	};
	struct oci_resources r = {0};

	if (!path)
		path = "";
	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(obj))
		return spec_fail(err, isempty(path) ? "resources" : path, NULL,
		                 "expected an object");
	for (size_t i = 0; i < ELEMENTSOF(sections); i++)
		if (parse_section(obj, path, sections[i].key, sections[i].fn, &r, err) < 0)
			goto fail;
	if (parse_lists(obj, path, &r, err) < 0)
		goto fail;
	*ret = r;
	return 0;
fail:
	oci_resources_release(&r);
	return -EINVAL;
}

void oci_resources_release(struct oci_resources *r)
{
	if (!r)
		return;
	free(r->devices);
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_devices);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
		hugepage_release(&r->hugepage_limits[i]);
	free(r->hugepage_limits);
	for (size_t i = 0; r->net_priorities && i < r->n_net_priorities; i++)
		kv_release(&r->net_priorities[i]);
	free(r->net_priorities);
	spec_kv_free(r->unified, r->n_unified);
	memset(r, 0, sizeof(*r));
}
