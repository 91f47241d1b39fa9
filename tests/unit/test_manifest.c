/* Unit tests for src/image/manifest.c, platform.c and config.c, and for
 * src/base/timefmt.c: real-world shaped manifests, indexes and configs,
 * schema 1 refusal, platform selection, hostile inputs, canonical output,
 * chain IDs and RFC 3339 times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/digest.h"
#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "image/config.h"
#include "image/manifest.h"

#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DC   "sha256:" H("cc")
#define DL1  "sha256:" H("11")
#define DL2  "sha256:" H("22")
#define DM1  "sha256:" H("a1")
#define DM2  "sha256:" H("a2")
#define DM3  "sha256:" H("a3")
#define DM4  "sha256:" H("a4")
#define DM5  "sha256:" H("a5")
#define DM6  "sha256:" H("a6")
#define DATT "sha256:" H("ee")

/* Test documents are written with ' for " to stay readable. */
static char *jd(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

/* ---- media types ---------------------------------------------------- */

static void test_media_types(void **state)
{
	const struct media_type_info *i;

	i = media_type_lookup(MEDIA_TYPE_OCI_LAYER_ZSTD);
	assert_non_null(i);
	assert_int_equal(i->kind, MEDIA_KIND_LAYER);
	assert_int_equal(i->compression, LAYER_COMPRESSION_ZSTD);
	assert_int_equal(i->flags, 0);
	i = media_type_lookup(MEDIA_TYPE_DOCKER_FOREIGN_LAYER);
	assert_int_equal(i->flags, MEDIA_TYPE_DOCKER | MEDIA_TYPE_FOREIGN);
	assert_int_equal(media_type_lookup(MEDIA_TYPE_OCI_LAYER_ND_GZIP)->flags,
	                 MEDIA_TYPE_FOREIGN);
	/* Content-Type parameters and case do not matter */
	i = media_type_lookup(
	        "Application/VND.docker.distribution.manifest.v2+json; charset=utf-8");
	assert_non_null(i);
	assert_string_equal(i->name, MEDIA_TYPE_DOCKER_MANIFEST);
	assert_int_equal(media_type_kind(MEDIA_TYPE_OCI_INDEX), MEDIA_KIND_INDEX);
	assert_int_equal(media_type_kind(MEDIA_TYPE_DOCKER_MANIFEST_LIST), MEDIA_KIND_INDEX);
	assert_int_equal(media_type_kind(MEDIA_TYPE_DOCKER_CONFIG), MEDIA_KIND_CONFIG);
	assert_int_equal(media_type_kind(MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED), MEDIA_KIND_SCHEMA1);
	assert_int_equal(media_type_kind(MEDIA_TYPE_DOCKER_LAYER), MEDIA_KIND_LAYER);
	assert_int_equal(media_type_compression(MEDIA_TYPE_DOCKER_LAYER), LAYER_COMPRESSION_GZIP);
	assert_int_equal(media_type_compression(MEDIA_TYPE_DOCKER_LAYER_TAR),
	                 LAYER_COMPRESSION_NONE);
	/* unnamed layer types under Docker's prefixes are layers of unknown compression */
	assert_null(media_type_lookup("application/vnd.oci.image.layer.v1.tar+lz4"));
	assert_int_equal(media_type_kind("application/vnd.oci.image.layer.v1.tar+lz4"),
	                 MEDIA_KIND_LAYER);
	assert_int_equal(media_type_compression("application/vnd.oci.image.layer.v1.tar+lz4"),
	                 LAYER_COMPRESSION_UNKNOWN);
	assert_int_equal(media_type_kind("application/vnd.cncf.helm.chart.content.v1.tar+gzip"),
	                 MEDIA_KIND_UNKNOWN);
	assert_int_equal(media_type_compression(MEDIA_TYPE_OCI_CONFIG), LAYER_COMPRESSION_UNKNOWN);
	assert_int_equal(media_type_kind(NULL), MEDIA_KIND_UNKNOWN);
	assert_null(media_type_lookup(NULL));
	assert_null(media_type_lookup(""));
}

/* ---- manifests ---------------------------------------------------------- */

static const char oci_manifest[] =
        "{\n"
        "  'schemaVersion': 2,\n"
        "  'mediaType': 'application/vnd.oci.image.manifest.v1+json',\n"
        "  'config': {\n"
        "    'mediaType': 'application/vnd.oci.image.config.v1+json',\n"
        "    'digest': '" DC "',\n"
        "    'size': 581\n"
        "  },\n"
        "  'layers': [\n"
        "    {'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip',\n"
        "     'digest': '" DL1 "', 'size': 2152262},\n"
        "    {'mediaType': 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',\n"
        "     'digest': '" DL2 "', 'size': 0,\n"
        "     'urls': ['https://example.com/layer'],\n"
        "     'annotations': {'org.opencontainers.image.title': 'x'}}\n"
        "  ],\n"
        "  'subject': {'mediaType': 'application/vnd.oci.image.manifest.v1+json',\n"
        "              'digest': '" DM1 "', 'size': 7},\n"
        "  'annotations': {'org.opencontainers.image.created': '2024-01-01T00:00:00Z'}\n"
        "}\n";

static void test_oci_manifest(void **state)
{
	_cleanup_free_ char *doc = jd(oci_manifest);
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	struct manifest_index *idx = (void *)1;
	enum manifest_kind kind = 0;
	struct husk_error *err = NULL;
	struct digest want;

	if (manifest_parse(doc, strlen(doc), NULL, &kind, &m, &idx, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(kind, MANIFEST_KIND_MANIFEST);
	assert_null(idx);
	assert_string_equal(m->media_type, MEDIA_TYPE_OCI_MANIFEST);
	assert_int_equal(m->schema_version, 2);
	assert_string_equal(m->config.media_type, MEDIA_TYPE_OCI_CONFIG);
	assert_string_equal(m->config.digest.str, DC);
	assert_int_equal(m->config.size, 581);
	assert_false(m->config.platform.present);
	assert_int_equal(m->n_layers, 2);
	assert_string_equal(m->layers[0].digest.str, DL1);
	assert_int_equal(m->layers[0].size, 2152262);
	assert_null(m->layers[0].urls);
	assert_null(m->layers[0].annotations);
	assert_int_equal(m->layers[1].size, 0);
	assert_string_equal(m->layers[1].urls[0], "https://example.com/layer");
	assert_string_equal(json_string_value(json_object_get(m->layers[1].annotations,
	                                                      "org.opencontainers.image.title")),
	                    "x");
	assert_int_equal(media_type_lookup(m->layers[1].media_type)->flags, MEDIA_TYPE_FOREIGN);
	assert_non_null(json_object_get(m->annotations, "org.opencontainers.image.created"));
	assert_true(json_is_object(m->raw));
	digest_buf(doc, strlen(doc), &want);
	assert_string_equal(m->digest.str, want.str);
}

static const char docker_manifest[] =
        "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
        "'config':{'mediaType':'application/vnd.docker.container.image.v1+json','size':1457,"
        "'digest':'" DC "'},"
        "'layers':[{'mediaType':'application/vnd.docker.image.rootfs.diff.tar.gzip',"
        "'size':772788,'digest':'" DL1 "'},"
        "{'mediaType':'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',"
        "'size':5,'digest':'" DL2 "','urls':['https://mcr.microsoft.com/x']}]}";

static void test_docker_manifest(void **state)
{
	_cleanup_free_ char *doc = jd(docker_manifest);
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	enum manifest_kind kind = 0;
	struct husk_error *err = NULL;

	if (manifest_parse(doc, strlen(doc), MEDIA_TYPE_DOCKER_MANIFEST "; charset=utf-8", &kind,
	                   &m, NULL, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(kind, MANIFEST_KIND_MANIFEST);
	assert_string_equal(m->media_type, MEDIA_TYPE_DOCKER_MANIFEST);
	assert_string_equal(m->config.media_type, MEDIA_TYPE_DOCKER_CONFIG);
	assert_int_equal(m->n_layers, 2);
	assert_int_equal(media_type_compression(m->layers[0].media_type), LAYER_COMPRESSION_GZIP);
	assert_null(m->annotations);
}

static const char oci_index[] =
        "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
        "'manifests':["
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM1 "','size':1,"
        " 'platform':{'architecture':'amd64','os':'linux'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM2 "','size':2,"
        " 'platform':{'architecture':'arm64','os':'linux','variant':'v8'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM3 "','size':3,"
        " 'platform':{'architecture':'arm','os':'linux','variant':'v7'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM4 "','size':4,"
        " 'platform':{'architecture':'arm','os':'linux','variant':'v6'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM5 "','size':5,"
        " 'platform':{'architecture':'386','os':'linux'}},"
        "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DATT "','size':9,"
        " 'annotations':{'vnd.docker.reference.digest':'" DM1 "',"
        "                'vnd.docker.reference.type':'attestation-manifest'},"
        " 'platform':{'architecture':'unknown','os':'unknown'}}"
        "],'annotations':{'org.opencontainers.image.ref.name':'1.36'}}";

static struct manifest_index *parse_index(const char *text, const char *hint)
{
	_cleanup_free_ char *doc = jd(text);
	struct manifest_index *idx = NULL;
	enum manifest_kind kind = 0;
	struct husk_error *err = NULL;

	if (manifest_parse(doc, strlen(doc), hint, &kind, NULL, &idx, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(kind, MANIFEST_KIND_INDEX);
	return idx;
}

static void test_oci_index(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx = parse_index(oci_index, NULL);

	assert_string_equal(idx->media_type, MEDIA_TYPE_OCI_INDEX);
	assert_int_equal(idx->n_manifests, 6);
	assert_true(idx->manifests[1].platform.present);
	assert_string_equal(idx->manifests[1].platform.architecture, "arm64");
	assert_string_equal(idx->manifests[1].platform.variant, "v8");
	assert_null(idx->manifests[0].platform.variant);
	assert_string_equal(idx->manifests[5].platform.os, "unknown");
	assert_non_null(idx->annotations);
}

static const char docker_list[] =
        "{\n 'schemaVersion': 2,\n"
        " 'mediaType': 'application/vnd.docker.distribution.manifest.list.v2+json',\n"
        " 'manifests': [\n"
        "  {'mediaType': 'application/vnd.docker.distribution.manifest.v2+json', 'size': 528,\n"
        "   'digest': '" DM1 "', 'platform': {'architecture': 'amd64', 'os': 'linux'}},\n"
        "  {'mediaType': 'application/vnd.docker.distribution.manifest.v2+json', 'size': 528,\n"
        "   'digest': '" DM2 "', 'platform': {'architecture': 'amd64', 'os': 'windows',\n"
        "    'os.version': '10.0.17763.5329', 'os.features': ['win32k']}}\n"
        " ]\n}";

static void test_docker_list(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx =
	        parse_index(docker_list, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
	const struct descriptor *d = NULL;
	struct platform want = {.os = "linux", .architecture = "amd64"};

	assert_string_equal(idx->media_type, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
	assert_int_equal(idx->n_manifests, 2);
	assert_string_equal(idx->manifests[1].platform.os_version, "10.0.17763.5329");
	assert_string_equal(idx->manifests[1].platform.os_features[0], "win32k");
	assert_int_equal(manifest_index_select(idx, &want, &d, NULL), 0);
	assert_string_equal(d->digest.str, DM1);
}

/* Without a mediaType field, the Content-Type, then the structure decides. */
static void test_kind_detection(void **state)
{
	static const struct {
		const char *doc, *hint;
		enum manifest_kind kind;
		const char *media_type;
	} cases[] = {
	        {"{'schemaVersion':2,'manifests':[]}", NULL, MANIFEST_KIND_INDEX,
	         MEDIA_TYPE_OCI_INDEX},
	        {"{'schemaVersion':2,'manifests':[]}", MEDIA_TYPE_DOCKER_MANIFEST_LIST,
	         MANIFEST_KIND_INDEX, MEDIA_TYPE_DOCKER_MANIFEST_LIST},
	        {"{'schemaVersion':2,'manifests':[]}", "application/json", MANIFEST_KIND_INDEX,
	         MEDIA_TYPE_OCI_INDEX},
	        {"{'schemaVersion':2,'config':{'mediaType':'application/"
	         "vnd.oci.image.config.v1+json',"
	         "'digest':'" DC "','size':2},'layers':[]}",
	         NULL, MANIFEST_KIND_MANIFEST, MEDIA_TYPE_OCI_MANIFEST},
	        {"{'schemaVersion':2,'config':{'mediaType':'application/"
	         "vnd.docker.container.image.v1+json',"
	         "'digest':'" DC "','size':2},'layers':[]}",
	         MEDIA_TYPE_DOCKER_MANIFEST, MANIFEST_KIND_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST},
	        /* same kind, other flavour: the document's field wins */
	        {"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
	         "'manifests':[]}",
	         MEDIA_TYPE_DOCKER_MANIFEST_LIST, MANIFEST_KIND_INDEX, MEDIA_TYPE_OCI_INDEX},
	        /* a registry serving text/plain does not matter */
	        {"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
	         "'manifests':[]}",
	         "text/plain", MANIFEST_KIND_INDEX, MEDIA_TYPE_OCI_INDEX},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *doc = jd(cases[i].doc);
		struct manifest *m = NULL;
		struct manifest_index *idx = NULL;
		enum manifest_kind kind = 0;
		struct husk_error *err = NULL;

		if (manifest_parse(doc, strlen(doc), cases[i].hint, &kind, &m, &idx, &err) < 0)
			fail_msg("case %zu: %s", i, error_message(err));
		assert_int_equal(kind, cases[i].kind);
		assert_string_equal(m ? m->media_type : idx->media_type, cases[i].media_type);
		assert_true((m == NULL) != (idx == NULL));
		manifest_free(m);
		manifest_index_free(idx);
	}
}

static void check_refused(const char *text, const char *hint, int code, const char *msg)
{
	_cleanup_free_ char *doc = jd(text);
	_cleanup_error_ struct husk_error *err = NULL;
	struct manifest *m = (void *)1;
	struct manifest_index *idx = (void *)1;
	int r = manifest_parse(doc, strlen(doc), hint, NULL, &m, &idx, &err);

	if (r != -code)
		fail_msg("%s: expected %d, got %d (%s)", text, -code, r,
		         err ? error_message(err) : "no message");
	assert_null(m);
	assert_null(idx);
	if (!strstr(error_message(err), msg))
		fail_msg("%s: message \"%s\" lacks \"%s\"", text, error_message(err), msg);
	/* the same without an error object */
	m = NULL;
	assert_int_equal(manifest_parse(doc, strlen(doc), hint, NULL, &m, &idx, NULL), -code);
}

static void test_schema1_refused(void **state)
{
	const char *msg = "manifest schema 1 is not supported: ";

	check_refused("{'schemaVersion':1,'name':'library/busybox','tag':'latest',"
	              "'architecture':'amd64','fsLayers':[{'blobSum':'" DL1 "'}],"
	              "'history':[{'v1Compatibility':'{}'}]}",
	              NULL, EPROTONOSUPPORT, msg);
	check_refused("{'schemaVersion':1,'fsLayers':[],'signatures':[]}",
	              MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED, EPROTONOSUPPORT, msg);
	check_refused("{'schemaVersion':2,'layers':[]}", MEDIA_TYPE_DOCKER_SCHEMA1, EPROTONOSUPPORT,
	              msg);
	check_refused("{'mediaType':'application/vnd.docker.distribution.manifest.v1+prettyjws'}",
	              NULL, EPROTONOSUPPORT, msg);
	check_refused("{'fsLayers':[]}", NULL, EPROTONOSUPPORT, msg);
}

#define CFG_OK                                                                                     \
	"'config':{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" DC           \
	"','size':1}"
#define LAYER(mt, dg, sz) "{'mediaType':'" mt "','digest':'" dg "','size':" sz "}"
#define GZ                "application/vnd.oci.image.layer.v1.tar+gzip"
#define M2(body)                                                                                   \
	"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1+json'," body "}"

static const struct refusal {
	const char *doc, *hint;
	int code;
	const char *msg;
} refusals[] = {
        /* not JSON, not an object */
        {"", NULL, EINVAL, "manifest: invalid JSON"},
        {"{", NULL, EINVAL, "manifest: invalid JSON"},
        {"[]", NULL, EINVAL, "manifest: expected a JSON object"},
        {"'text'", NULL, EINVAL, "expected a JSON object"},
        {"{'schemaVersion':2,'schemaVersion':2,'manifests':[]}", NULL, EINVAL, "duplicate"},
        /* schemaVersion */
        {"{'manifests':[]}", NULL, EINVAL, "schemaVersion: required"},
        {"{'schemaVersion':'2','manifests':[]}", NULL, EINVAL,
         "schemaVersion: expected an integer"},
        {"{'schemaVersion':3,'manifests':[]}", NULL, EINVAL, "schemaVersion: expected 2, got 3"},
        {"{'schemaVersion':2.0,'manifests':[]}", NULL, EINVAL,
         "schemaVersion: expected an integer"},
        /* what kind of document */
        {"{'schemaVersion':2}", NULL, EINVAL, "cannot tell an image manifest from an index"},
        {"{'schemaVersion':2,'mediaType':7,'layers':[]}", NULL, EINVAL,
         "mediaType: expected a string"},
        {"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.config.v1+json'}", NULL, EINVAL,
         "mediaType: unsupported media type \"application/vnd.oci.image.config.v1+json\""},
        {"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json','manifests':[]}",
         MEDIA_TYPE_OCI_MANIFEST, EINVAL, "but was served as"},
        /* CVE-2021-41190: documents that are both */
        {M2(CFG_OK ",'layers':[],'manifests':[]"), NULL, EINVAL,
         "manifests: not allowed in an image manifest"},
        {"{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json','manifests':[],"
         "'layers':[]}",
         NULL, EINVAL, "layers: not allowed in an image index"},
        {"{'schemaVersion':2,'manifests':[]," CFG_OK "}", NULL, EINVAL,
         "config: not allowed in an image index"},
        /* config */
        {M2("'layers':[]"), NULL, EINVAL, "config: required"},
        {M2("'config':[],'layers':[]"), NULL, EINVAL, "config: expected an object"},
        {M2("'config':{'digest':'" DC "','size':1},'layers':[]"), NULL, EINVAL,
         "config.mediaType: required"},
        {M2("'config':{'mediaType':'application/vnd.cncf.helm.config.v1+json','digest':'" DC
            "','size':1},'layers':[]"),
         NULL, EINVAL, "config.mediaType: unsupported media type"},
        {M2("'config':{'mediaType':'application/vnd.docker.plugin.v1+json','digest':'" DC
            "','size':1},'layers':[]"),
         NULL, EINVAL, "not a container image"},
        {M2("'config':{'mediaType':'no-slash','digest':'" DC "','size':1},'layers':[]"), NULL,
         EINVAL, "config.mediaType: invalid media type \"no-slash\""},
        {M2("'config':{'mediaType':'a/b c','digest':'" DC "','size':1},'layers':[]"), NULL, EINVAL,
         "invalid media type"},
        {M2("'config':{'mediaType':'application/vnd.oci.image.config.v1+json','size':1},"
            "'layers':[]"),
         NULL, EINVAL, "config.digest: required"},
        {M2("'config':{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" DC "'},"
            "'layers':[]"),
         NULL, EINVAL, "config.size: required"},
        /* layers */
        {M2(CFG_OK), NULL, EINVAL, "layers: required"},
        {M2(CFG_OK ",'layers':null"), NULL, EINVAL, "layers: required"},
        {M2(CFG_OK ",'layers':{}"), NULL, EINVAL, "layers: expected an array"},
        {M2(CFG_OK ",'layers':[7]"), NULL, EINVAL, "layers[0]: expected an object"},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, DL1, "1") "," LAYER(GZ, "sha256:abc", "1") "]"), NULL,
         EINVAL, "layers[1].digest: invalid digest \"sha256:abc\""},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, "sha512:" H("ab") H("ab"), "1") "]"), NULL, EINVAL,
         "layers[0].digest: unsupported digest algorithm \"sha512\""},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, "sha256:" H("AB"), "1") "]"), NULL, EINVAL,
         "layers[0].digest: invalid digest"},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, DL1, "-1") "]"), NULL, EINVAL,
         "layers[0].size: expected a non-negative integer, got -1"},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, DL1, "'12'") "]"), NULL, EINVAL,
         "layers[0].size: expected an integer"},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, DL1, "1.5") "]"), NULL, EINVAL,
         "layers[0].size: expected an integer"},
        {M2(CFG_OK ",'layers':[" LAYER(GZ, DL1, "99999999999999999999999") "]"), NULL, EINVAL,
         "invalid JSON"},
        {M2(CFG_OK ",'layers':[" LAYER("application/vnd.cncf.helm.chart.content.v1.tar+gzip", DL1,
                                       "1") "]"),
         NULL, EINVAL, "layers[0].mediaType: unsupported media type"},
        {M2(CFG_OK ",'layers':[" LAYER(MEDIA_TYPE_OCI_CONFIG, DL1, "1") "]"), NULL, EINVAL,
         "layers[0].mediaType: unsupported media type"},
        {M2(CFG_OK ",'layers':[{'mediaType':'" GZ "','digest':'" DL1 "','size':1,'urls':[1]}]"),
         NULL, EINVAL, "layers[0].urls[0]: expected a string"},
        {M2(CFG_OK ",'layers':[{'mediaType':'" GZ "','digest':'" DL1
                   "','size':1,'annotations':{'a':1}}]"),
         NULL, EINVAL, "layers[0].annotations.a: expected a string"},
        {M2(CFG_OK ",'layers':[],'annotations':[]"), NULL, EINVAL,
         "annotations: expected an object"},
        {M2(CFG_OK ",'layers':[],'annotations':{'k':{'deep':[[[[[[[[[[[[[]]]]]]]]]]]]]}}"), NULL,
         EINVAL, "annotations.k: expected a string"},
        /* index entries */
        {"{'schemaVersion':2,'manifests':{}}", NULL, EINVAL, "manifests: expected an array"},
        {"{'schemaVersion':2,'manifests':[{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM1
         "','size':1,'platform':'linux/amd64'}]}",
         NULL, EINVAL, "manifests[0].platform: expected an object"},
        {"{'schemaVersion':2,'manifests':[{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM1
         "','size':1,'platform':{'os':5}}]}",
         NULL, EINVAL, "manifests[0].platform.os: expected a string"},
        {"{'schemaVersion':2,'manifests':[{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM1
         "','size':1,'platform':{'os':'linux','os.features':'x'}}]}",
         NULL, EINVAL, "manifests[0].platform.os.features: expected an array of strings"},
        {"{'schemaVersion':2,'manifests':[{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM1
         "','size':-5}]}",
         NULL, EINVAL, "manifests[0].size: expected a non-negative integer"},
};

static void test_hostile_manifests(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(refusals); i++)
		check_refused(refusals[i].doc, refusals[i].hint, refusals[i].code, refusals[i].msg);
}

static void test_hostile_sizes(void **state)
{
	size_t big = MANIFEST_MAX_SIZE + 1;
	_cleanup_free_ char *huge = malloc(big), *deep = malloc(200002);
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL;
	struct manifest *m = NULL;
	struct manifest_index *idx = NULL;

	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	assert_int_equal(manifest_parse(huge, big, NULL, NULL, &m, &idx, &e1), -EFBIG);
	assert_non_null(strstr(error_message(e1), "larger than"));
	/* the same bytes one short of the cap are only refused for what they say */
	assert_int_equal(manifest_parse(huge + 1, big - 2, NULL, NULL, &m, &idx, NULL), -EINVAL);
	/* 100000 levels of nesting: jansson stops at its depth limit */
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = 0;
	assert_int_equal(manifest_parse(deep, 200000, NULL, NULL, &m, &idx, &e2), -EINVAL);
	assert_non_null(strstr(error_message(e2), "invalid JSON"));
	/* an embedded NUL is not JSON */
	assert_int_equal(manifest_parse("{\"schemaVersion\":2,\0}", 21, NULL, NULL, &m, &idx, NULL),
	                 -EINVAL);
	assert_int_equal(manifest_parse(NULL, 0, NULL, NULL, &m, &idx, NULL), -EINVAL);
}

/* A kind the caller did not ask for is an error, not a leak. */
static void test_unwanted_kind(void **state)
{
	_cleanup_free_ char *mdoc = jd(docker_manifest), *idoc = jd(oci_index);
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL;
	struct manifest *m = NULL;
	struct manifest_index *idx = NULL;

	assert_int_equal(manifest_parse(mdoc, strlen(mdoc), NULL, NULL, NULL, &idx, &e1), -EINVAL);
	assert_string_equal(error_message(e1), "got an image manifest where an index was expected");
	assert_null(idx);
	assert_int_equal(manifest_parse(idoc, strlen(idoc), NULL, NULL, &m, NULL, &e2), -EINVAL);
	assert_string_equal(error_message(e2), "got an image index where a manifest was expected");
	assert_null(m);
}

/* Layer types under Docker's accepted prefixes pass; the unpacker decides. */
static void test_unknown_layer_compression(void **state)
{
	_cleanup_free_ char *doc = jd(M2(CFG_OK ",'layers':[" LAYER(
	        "application/vnd.oci.image.layer.v1.tar+lz4", DL1, "1") "]"));
	_cleanup_(manifest_freep) struct manifest *m = NULL;

	assert_int_equal(manifest_parse(doc, strlen(doc), NULL, NULL, &m, NULL, NULL), 0);
	assert_int_equal(media_type_compression(m->layers[0].media_type),
	                 LAYER_COMPRESSION_UNKNOWN);
}

/* ---- platforms ---------------------------------------------------------- */

static void check_platform(const char *in, const char *os, const char *arch, const char *variant)
{
	struct platform p = {};
	struct husk_error *err = NULL;

	if (platform_parse(in, &p, &err) < 0)
		fail_msg("\"%s\": %s", in, error_message(err));
	assert_true(p.present);
	assert_string_equal(p.os, os);
	assert_string_equal(p.architecture, arch);
	if (variant)
		assert_string_equal(p.variant, variant);
	else if (p.variant)
		fail_msg("\"%s\": unexpected variant \"%s\"", in, p.variant);
	platform_release(&p);
}

static void test_platform_parse(void **state)
{
	struct platform host = {}, p = {};

	check_platform("linux/amd64", "linux", "amd64", NULL);
	check_platform("linux/x86_64", "linux", "amd64", NULL);
	check_platform("linux/x86-64", "linux", "amd64", NULL);
	check_platform("Linux/AMD64", "linux", "amd64", NULL);
	check_platform("linux/amd64/v1", "linux", "amd64", NULL);
	check_platform("linux/amd64/v3", "linux", "amd64", "v3");
	check_platform("linux/aarch64", "linux", "arm64", NULL);
	check_platform("linux/arm64/v8", "linux", "arm64", NULL);
	check_platform("linux/arm64/8", "linux", "arm64", NULL);
	check_platform("linux/arm64/v9", "linux", "arm64", "v9");
	check_platform("linux/armhf", "linux", "arm", "v7");
	check_platform("linux/armhf/v5", "linux", "arm", "v7");
	check_platform("linux/armel", "linux", "arm", "v6");
	check_platform("linux/arm", "linux", "arm", "v7");
	check_platform("linux/arm/v6", "linux", "arm", "v6");
	check_platform("linux/arm/7", "linux", "arm", "v7");
	check_platform("linux/arm/5", "linux", "arm", "v5");
	check_platform("linux/i386", "linux", "386", NULL);
	check_platform("linux/386", "linux", "386", NULL);
	check_platform("linux/ppc64le", "linux", "ppc64le", NULL);
	check_platform("linux/riscv64", "linux", "riscv64", NULL);
	check_platform("windows/amd64", "windows", "amd64", NULL);
	check_platform("macos/arm64", "darwin", "arm64", NULL);
	/* one word: an architecture on linux … */
	check_platform("arm64", "linux", "arm64", NULL);
	check_platform("aarch64", "linux", "arm64", NULL);
	check_platform("armhf", "linux", "arm", "v7");
	check_platform("s390x", "linux", "s390x", NULL);
	/* … or an OS with this host's architecture */
	assert_int_equal(platform_host(&host), 0);
	assert_int_equal(platform_parse("linux", &p, NULL), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.architecture, host.architecture);
	platform_release(&p);
	platform_release(&host);
	platform_release(&p); /* released twice is fine */
}

static void test_platform_parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
	        {"", "invalid platform \"\": expected os/arch[/variant]"},
	        {"linux/", "invalid component \"\""},
	        {"/amd64", "invalid component \"\""},
	        {"linux/amd64/", "invalid component \"\""},
	        {"linux/amd64/v8/x", "expected os/arch[/variant]"},
	        {"linux/*", "wildcards are not supported"},
	        {"foo", "unknown operating system or architecture"},
	        {"linux/am d64", "invalid component \"am d64\""},
	        {"lin$ux/amd64", "invalid component \"lin$ux\""},
	        {"linux.x/amd64", "invalid component \"linux.x\""},
	        {"windows(10.0)/amd64", "invalid component"},
	        {"linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "invalid component"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct platform p = {};
		_cleanup_error_ struct husk_error *err = NULL;

		if (platform_parse(cases[i].in, &p, &err) != -EINVAL)
			fail_msg("\"%s\" should be refused", cases[i].in);
		if (!strstr(error_message(err), cases[i].msg))
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", cases[i].in, error_message(err),
			         cases[i].msg);
		assert_null(p.os);
	}
	assert_int_equal(platform_parse(NULL, &(struct platform){}, NULL), -EINVAL);
}

static void test_platform_format(void **state)
{
	struct platform a = {.os = "linux", .architecture = "arm64", .variant = "v8"};
	struct platform b = {.os = "linux", .architecture = "amd64"};
	struct platform c = {};
	struct platform d = {.os = "linux"};
	_cleanup_free_ char *sa = platform_format(&a), *sb = platform_format(&b),
	                    *sc = platform_format(&c), *sd = platform_format(&d);

	assert_string_equal(sa, "linux/arm64/v8");
	assert_string_equal(sb, "linux/amd64");
	assert_string_equal(sc, "unknown");
	assert_string_equal(sd, "linux");
}

#define PL(o, a, v) (&(struct platform){.present = true, .os = o, .architecture = a, .variant = v})

static void test_platform_rank(void **state)
{
	/* exact matches after normalisation */
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("linux", "amd64", NULL)), 0);
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("Linux", "x86_64", "v1")), 0);
	assert_int_equal(platform_rank(PL("linux", "arm64", "v8"), PL("linux", "arm64", NULL)), 0);
	assert_int_equal(platform_rank(PL("linux", "arm64", NULL), PL("linux", "aarch64", "8")), 0);
	assert_int_equal(platform_rank(PL("linux", "arm", NULL), PL("linux", "arm", "v7")), 0);
	assert_int_equal(platform_rank(PL("linux", "arm", "v7"), PL("linux", "armhf", NULL)), 0);
	/* fallbacks, in order */
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("linux", "386", NULL)), 1);
	assert_int_equal(platform_rank(PL("linux", "amd64", "v3"), PL("linux", "amd64", "v2")), 1);
	assert_int_equal(platform_rank(PL("linux", "amd64", "v3"), PL("linux", "amd64", NULL)), 2);
	assert_int_equal(platform_rank(PL("linux", "amd64", "v3"), PL("linux", "386", NULL)), 3);
	assert_int_equal(platform_rank(PL("linux", "arm", "v7"), PL("linux", "arm", "v6")), 1);
	assert_int_equal(platform_rank(PL("linux", "arm", "v7"), PL("linux", "armel", NULL)), 1);
	assert_int_equal(platform_rank(PL("linux", "arm", "v7"), PL("linux", "arm", "v5")), 2);
	assert_int_equal(platform_rank(PL("linux", "arm64", NULL), PL("linux", "arm", "v8")), 1);
	assert_int_equal(platform_rank(PL("linux", "arm64", NULL), PL("linux", "arm", "v7")), 2);
	assert_int_equal(platform_rank(PL("linux", "arm64", "v8.2"), PL("linux", "arm64", "v8.1")),
	                 1);
	assert_int_equal(platform_rank(PL("linux", "arm64", "v8.2"), PL("linux", "arm64", NULL)),
	                 2);
	assert_int_equal(platform_rank(PL("linux", "arm64", "v9"), PL("linux", "arm64", "v8.5")),
	                 1);
	assert_int_equal(platform_rank(PL("linux", "arm64", "v9"), PL("linux", "arm64", NULL)), 6);
	/* no match */
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("linux", "amd64", "v2")), -1);
	assert_int_equal(platform_rank(PL("linux", "arm", "v6"), PL("linux", "arm", "v7")), -1);
	assert_int_equal(platform_rank(PL("linux", "386", NULL), PL("linux", "amd64", NULL)), -1);
	assert_int_equal(platform_rank(PL("linux", "arm64", NULL), PL("linux", "arm64", "v9")), -1);
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("windows", "amd64", NULL)),
	                 -1);
	assert_int_equal(platform_rank(PL("linux", "amd64", NULL), PL("unknown", "unknown", NULL)),
	                 -1);
	assert_int_equal(
	        platform_rank(PL("linux", "amd64", NULL),
	                      PL("linux", "amd64aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL)),
	        -1);
}

static void check_select(const struct manifest_index *idx, const char *want, const char *digest)
{
	struct platform p = {};
	const struct descriptor *d = NULL;
	struct husk_error *err = NULL;

	assert_int_equal(platform_parse(want, &p, NULL), 0);
	if (manifest_index_select(idx, &p, &d, &err) < 0)
		fail_msg("%s: %s", want, error_message(err));
	if (!streq(d->digest.str, digest))
		fail_msg("%s: chose %s, expected %s", want, d->digest.str, digest);
	platform_release(&p);
}

static void check_no_select(const struct manifest_index *idx, const char *want, const char *msg)
{
	struct platform p = {};
	const struct descriptor *d = NULL;
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(platform_parse(want, &p, NULL), 0);
	assert_int_equal(manifest_index_select(idx, &p, &d, &err), -ENOENT);
	assert_string_equal(error_message(err), msg);
	assert_null(d);
	platform_release(&p);
}

static void test_select(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx = parse_index(oci_index, NULL);

	check_select(idx, "linux/amd64", DM1);
	check_select(idx, "linux/x86_64", DM1);
	check_select(idx, "linux/arm64", DM2);
	check_select(idx, "linux/arm64/v8", DM2);
	check_select(idx, "linux/arm/v7", DM3);
	check_select(idx, "linux/armhf", DM3);
	check_select(idx, "linux/arm/v6", DM4);
	check_select(idx, "linux/arm/v8", DM3); /* newest older variant first */
	check_select(idx, "linux/386", DM5);
	check_no_select(idx, "linux/ppc64le",
	                "no matching manifest for linux/ppc64le in the manifest list entries");
	check_no_select(idx, "linux/arm/v5",
	                "no matching manifest for linux/arm/v5 in the manifest list entries");
	check_no_select(idx, "windows/amd64",
	                "no matching manifest for windows/amd64 in the manifest list entries");
}

static void test_select_fallbacks(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *only386 = parse_index(
	        "{'schemaVersion':2,'manifests':[{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST
	        "','digest':'" DM5 "','size':1,'platform':{'os':'linux','architecture':'386'}}]}",
	        NULL);
	_cleanup_(manifest_index_freep) struct manifest_index *arm = parse_index(
	        "{'schemaVersion':2,'manifests':["
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM1
	        "','size':1,'platform':{'os':'linux','architecture':'arm','variant':'v5'}},"
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM2
	        "','size':1,'platform':{'os':'linux','architecture':'arm','variant':'v6'}},"
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM3
	        "','size':1,'platform':{'os':'linux','architecture':'amd64','variant':'v2'}},"
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM4
	        "','size':1,'platform':{'os':'linux','architecture':'amd64'}},"
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM6
	        "','size':1,'platform':{'os':'linux','architecture':'arm64'}},"
	        "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DM5
	        "','size':1,'platform':{'os':'linux','architecture':'arm64','variant':'v8'}}"
	        "]}",
	        NULL);

	check_select(only386, "linux/amd64", DM5);
	check_no_select(only386, "linux/arm64",
	                "no matching manifest for linux/arm64 in the manifest list entries");
	check_select(arm, "linux/arm/v7", DM2);
	check_select(arm, "linux/arm/v6", DM2);
	check_select(arm, "linux/arm/v5", DM1);
	check_select(arm, "linux/amd64/v3", DM3); /* v2 before v1 */
	check_select(arm, "linux/amd64/v2", DM3);
	check_select(arm, "linux/amd64", DM4); /* v1 host: v2 cannot run */
	check_select(arm, "linux/arm64", DM6); /* two exact matches: the first */
}

/* containerd takes entries without a platform last; attestations
 * (unknown/unknown) and non-image entries are never chosen. */
static void test_select_special_entries(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx =
	        parse_index("{'schemaVersion':2,'manifests':["
	                    "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DATT
	                    "','size':1,'platform':{'os':'unknown','architecture':'unknown'}},"
	                    "{'mediaType':'application/vnd.example.thing+json','digest':'" DM1
	                    "','size':1,'platform':{'os':'linux','architecture':'amd64'}},"
	                    "{'mediaType':'" MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED "','digest':'" DM3
	                    "','size':1,'platform':{'os':'linux','architecture':'amd64'}},"
	                    "{'mediaType':'" MEDIA_TYPE_OCI_INDEX "','digest':'" DM2 "','size':1}"
	                    "]}",
	                    NULL);
	_cleanup_(manifest_index_freep) struct manifest_index *att =
	        parse_index("{'schemaVersion':2,'manifests':["
	                    "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DATT
	                    "','size':1,'platform':{'os':'unknown','architecture':'unknown'}}]}",
	                    NULL);
	_cleanup_(manifest_index_freep) struct manifest_index *empty =
	        parse_index("{'schemaVersion':2,'manifests':[]}", NULL);
	_cleanup_(manifest_index_freep) struct manifest_index *win = parse_index(docker_list, NULL);
	struct platform p = {};
	const struct descriptor *d = NULL;

	check_select(idx, "linux/amd64", DM2);
	check_no_select(att, "linux/amd64",
	                "no matching manifest for linux/amd64 in the manifest list entries");
	check_no_select(empty, "linux/arm64/v8",
	                "no matching manifest for linux/arm64 in the manifest list entries");
	/* an entry needing OS features (win32k) is not for us */
	assert_int_equal(platform_parse("windows/amd64", &p, NULL), 0);
	assert_int_equal(manifest_index_select(win, &p, &d, NULL), -ENOENT);
	platform_release(&p);
}

/* NULL means this host; the error names the host platform. */
static void test_select_host(void **state)
{
	_cleanup_(manifest_index_freep) struct manifest_index *idx = parse_index(oci_index, NULL);
	_cleanup_(manifest_index_freep) struct manifest_index *att =
	        parse_index("{'schemaVersion':2,'manifests':["
	                    "{'mediaType':'" MEDIA_TYPE_OCI_MANIFEST "','digest':'" DATT
	                    "','size':1,'platform':{'os':'unknown','architecture':'unknown'}}]}",
	                    NULL);
	struct platform host = {};
	const struct descriptor *d = NULL, *e = NULL;
	_cleanup_free_ char *fmt = NULL, *msg = NULL;
	_cleanup_error_ struct husk_error *err = NULL;

	if (platform_host(&host) < 0)
		skip();
	assert_int_equal(manifest_index_select(idx, NULL, &d, NULL), 0);
	assert_int_equal(manifest_index_select(idx, &host, &e, NULL), 0);
	assert_ptr_equal(d, e);
	fmt = platform_format(&host);
	msg = str_printf("no matching manifest for %s in the manifest list entries", fmt);
	assert_int_equal(manifest_index_select(att, NULL, &d, &err), -ENOENT);
	assert_string_equal(error_message(err), msg);
	if (streq(host.architecture, "amd64"))
		assert_string_equal(
		        msg, "no matching manifest for linux/amd64 in the manifest list entries");
	platform_release(&host);
}

/* ---- building ------------------------------------------------------------ */

static const char built_oci[] =
        "{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1+json',"
        "'config':{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" DC
        "','size':581},"
        "'layers':[{'mediaType':'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" DL1
        "','size':2152262},"
        "{'mediaType':'application/vnd.oci.image.layer.v1.tar+zstd','digest':'" DL2
        "','size':100,'annotations':{'a':'2','z':'1'}}],"
        "'annotations':{'org.a':'first','org.z':'last'}}";
/* sha256 of the text above, computed with Python's hashlib */
#define BUILT_OCI_DIGEST "sha256:91eeee1ef575437eb32d5ac9d218f9532c9bec36f69581cfd8c0f9b569c11c2d"

static const char built_docker[] =
        "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v2+json',"
        "'config':{'mediaType':'application/vnd.docker.container.image.v1+json','size':581,"
        "'digest':'" DC "'},"
        "'layers':[{'mediaType':'application/vnd.docker.image.rootfs.diff.tar.gzip',"
        "'size':2152262,'digest':'" DL1 "'}]}";
#define BUILT_DOCKER_DIGEST                                                                        \
	"sha256:14937fa4a01857d5654112d3822cb75245d893740cbb139308a21b68d9c00921"

static void set_desc(struct descriptor *d, const char *mt, const char *digest, int64_t size)
{
	*d = (struct descriptor){.media_type = (char *)mt, .size = size};
	assert_int_equal(digest_parse(digest, &d->digest, NULL), 0);
}

static void test_build_oci(void **state)
{
	struct descriptor config, layers[2];
	_cleanup_json_ json_t *ann = json_pack("{s:s,s:s}", "org.z", "last", "org.a", "first");
	_cleanup_json_ json_t *lann = json_pack("{s:s,s:s}", "z", "1", "a", "2");
	_cleanup_free_ char *want = jd(built_oci), *s1 = NULL, *s2 = NULL, *rebuilt = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	struct digest d;

	set_desc(&config, MEDIA_TYPE_OCI_CONFIG, DC, 581);
	set_desc(&layers[0], MEDIA_TYPE_OCI_LAYER_GZIP, DL1, 2152262);
	set_desc(&layers[1], MEDIA_TYPE_OCI_LAYER_ZSTD, DL2, 100);
	layers[1].annotations = lann;
	s1 = manifest_build(&config, layers, 2, MEDIA_TYPE_OCI_MANIFEST, ann);
	s2 = manifest_build(&config, layers, 2, MEDIA_TYPE_OCI_MANIFEST, ann);
	assert_non_null(s1);
	assert_string_equal(s1, want);
	assert_string_equal(s1, s2);
	digest_buf(s1, strlen(s1), &d);
	assert_string_equal(d.str, BUILT_OCI_DIGEST);
	/* parse it back and build again: byte for byte the same */
	assert_int_equal(manifest_parse(s1, strlen(s1), NULL, NULL, &m, NULL, NULL), 0);
	assert_string_equal(m->digest.str, BUILT_OCI_DIGEST);
	rebuilt = manifest_build(&m->config, m->layers, m->n_layers, m->media_type, m->annotations);
	assert_string_equal(rebuilt, s1);
}

static void test_build_docker(void **state)
{
	struct descriptor config, layer;
	_cleanup_json_ json_t *ann = json_pack("{s:s}", "ignored", "docker has no annotations");
	_cleanup_free_ char *want = jd(built_docker), *s = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	struct digest d;

	set_desc(&config, MEDIA_TYPE_DOCKER_CONFIG, DC, 581);
	set_desc(&layer, MEDIA_TYPE_DOCKER_LAYER, DL1, 2152262);
	s = manifest_build(&config, &layer, 1, MEDIA_TYPE_DOCKER_MANIFEST, ann);
	assert_string_equal(s, want);
	digest_buf(s, strlen(s), &d);
	assert_string_equal(d.str, BUILT_DOCKER_DIGEST);
	assert_int_equal(
	        manifest_parse(s, strlen(s), MEDIA_TYPE_DOCKER_MANIFEST, NULL, &m, NULL, NULL), 0);
	assert_int_equal(m->n_layers, 1);
}

static void test_build_edge_cases(void **state)
{
	struct descriptor config;
	_cleanup_free_ char *empty = NULL;

	set_desc(&config, MEDIA_TYPE_OCI_CONFIG, DC, 2);
	empty = manifest_build(&config, NULL, 0, MEDIA_TYPE_OCI_MANIFEST, NULL);
	assert_non_null(strstr(empty, "\"layers\":[]"));
	assert_null(strstr(empty, "annotations"));
	errno = 0;
	assert_null(manifest_build(&config, NULL, 0, MEDIA_TYPE_OCI_INDEX, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(manifest_build(&config, NULL, 0, "application/json", NULL));
	assert_null(manifest_build(&config, NULL, 0, NULL, NULL));
	assert_null(manifest_build(NULL, NULL, 0, MEDIA_TYPE_OCI_MANIFEST, NULL));
	assert_null(manifest_build(&config, NULL, 0, MEDIA_TYPE_OCI_MANIFEST "; x=y", NULL));
}

static void test_build_index(void **state)
{
	struct descriptor m[2];
	_cleanup_free_ char *s = NULL, *want = NULL;
	_cleanup_(manifest_index_freep) struct manifest_index *idx = NULL;
	const struct descriptor *d = NULL;

	set_desc(&m[0], MEDIA_TYPE_OCI_MANIFEST, DM1, 10);
	m[0].platform = (struct platform){.present = true, .os = "linux", .architecture = "amd64"};
	set_desc(&m[1], MEDIA_TYPE_OCI_MANIFEST, DM2, 20);
	m[1].platform = (struct platform){
	        .present = true, .os = "linux", .architecture = "arm", .variant = "v7"};
	s = manifest_index_build(m, 2, MEDIA_TYPE_OCI_INDEX, NULL);
	want = jd("{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1+json',"
	          "'manifests':[{'mediaType':'application/"
	          "vnd.oci.image.manifest.v1+json','digest':'" DM1
	          "','size':10,'platform':{'architecture':'amd64','os':'linux'}},"
	          "{'mediaType':'application/vnd.oci.image.manifest.v1+json','digest':'" DM2
	          "','size':20,'platform':{'architecture':'arm','os':'linux','variant':'v7'}}]}");
	assert_string_equal(s, want);
	assert_int_equal(manifest_parse(s, strlen(s), NULL, NULL, NULL, &idx, NULL), 0);
	check_select(idx, "linux/arm/v7", DM2);
	assert_int_equal(manifest_index_select(idx, PL("linux", "amd64", NULL), &d, NULL), 0);
	assert_string_equal(d->digest.str, DM1);
	assert_null(manifest_index_build(m, 2, MEDIA_TYPE_OCI_MANIFEST, NULL));
}

/* ---- image config ------------------------------------------------------ */

#define DIFF_A "sha256:589f0d58b9053a4ff7329b8fdb4f9dd120e29354c086ad0b3b10733f6cfd6de3"
#define DIFF_B "sha256:55fea2a37a9fc5963f1beccd0d162b856e6bd05ca07cdd3726847846ab740f0d"
#define DIFF_C "sha256:e6c65c655ca8172ab7a2b634dab3220a45472dd6571b6efd956ccc05e229a201"
/* chain IDs of A, B, C, computed with Python's hashlib */
#define CHAIN_B "sha256:267c5fd16af60e52927fabf0a36a31f3b5a2069347f7f00c7bd7f93f6ebc01f4"
#define CHAIN_C "sha256:82c0ed5f6c15be9b9180a8c04b9f2c676d74af6db13c711f5bb47a0fa43b56df"

/* The shape `docker save` writes for busybox. */
static const char docker_config[] =
        "{'architecture':'amd64','config':{'Hostname':'','Domainname':'','User':'',"
        "'AttachStdin':false,'AttachStdout':false,'AttachStderr':false,'Tty':false,"
        "'OpenStdin':false,'StdinOnce':false,"
        "'Env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],"
        "'Cmd':['sh'],'Image':'sha256:9a9d','Volumes':null,'WorkingDir':'','Entrypoint':null,"
        "'OnBuild':null,'Labels':null},'container':'3f7d','container_config':{'Hostname':'3f7d'},"
        "'created':'2023-07-18T23:19:33.655005962Z','docker_version':'20.10.23',"
        "'history':[{'created':'2023-07-18T23:19:33.538571854Z',"
        "'created_by':'/bin/sh -c #(nop) ADD file:7e90 in / '},"
        "{'created':'2023-07-18T23:19:33.655005962Z',"
        "'created_by':'/bin/sh -c #(nop)  CMD [\\'sh\\']','empty_layer':true}],"
        "'os':'linux','rootfs':{'type':'layers','diff_ids':['" DIFF_A "']}}";

static const char docker_config_inspect[] =
        "{'Hostname':'','Domainname':'','User':'','AttachStdin':false,'AttachStdout':false,"
        "'AttachStderr':false,'Tty':false,'OpenStdin':false,'StdinOnce':false,"
        "'Env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],"
        "'Cmd':['sh'],'Image':'sha256:9a9d','Volumes':null,'WorkingDir':'','Entrypoint':null,"
        "'OnBuild':null,'Labels':null}";

static struct image_config *parse_config(const char *text)
{
	_cleanup_free_ char *doc = jd(text);
	struct image_config *c = NULL;
	struct husk_error *err = NULL;
	struct digest d;

	if (image_config_parse(doc, strlen(doc), &c, &err) < 0)
		fail_msg("%s", error_message(err));
	digest_buf(doc, strlen(doc), &d);
	assert_string_equal(c->digest.str, d.str);
	return c;
}

static void test_config_docker(void **state)
{
	_cleanup_(image_config_freep) struct image_config *c = parse_config(docker_config);
	_cleanup_json_ json_t *dj = NULL;
	_cleanup_free_ char *s = NULL, *want = jd(docker_config_inspect);

	assert_string_equal(c->architecture, "amd64");
	assert_string_equal(c->os, "linux");
	assert_null(c->variant);
	assert_string_equal(c->created, "2023-07-18T23:19:33.655005962Z");
	assert_int_equal(c->created_ts.tv_sec, 1689722373);
	assert_int_equal(c->created_ts.tv_nsec, 655005962);
	assert_true(c->has_config);
	assert_string_equal(c->env[0],
	                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(c->cmd[0], "sh");
	assert_null(c->cmd[1]);
	assert_null(c->entrypoint);
	assert_null(c->labels);
	assert_null(c->volumes);
	assert_string_equal(c->user, "");
	assert_int_equal(c->n_diff_ids, 1);
	assert_string_equal(c->diff_ids[0].str, DIFF_A);
	assert_int_equal(c->n_history, 2);
	assert_true(c->history[1].empty_layer);
	assert_string_equal(c->history[1].created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
	assert_false(c->history_short);
	/* passthrough keeps what we do not model */
	assert_string_equal(json_string_value(json_object_get(c->raw, "docker_version")),
	                    "20.10.23");
	dj = image_config_docker_json(c);
	s = json_compact(dj);
	assert_string_equal(s, want);
}

static const char oci_config[] =
        "{'created':'2024-01-01T00:00:00Z','architecture':'arm64','variant':'v8','os':'linux',"
        "'author':'me',"
        "'config':{'Entrypoint':'/app','Cmd':'serve','ExposedPorts':{'8080/tcp':{},'80/tcp':{}},"
        "'Volumes':{'/data':{}},'Labels':{'a':'b'},'StopSignal':'SIGTERM',"
        "'Healthcheck':{'Test':['CMD','true'],'Interval':30000000000},"
        "'Shell':['/bin/sh','-c'],'ArgsEscaped':true,'WorkingDir':'/srv','User':'1000:1000',"
        "'Env':[],'OnBuild':['RUN true']},"
        "'rootfs':{'type':'layers','diff_ids':['" DIFF_A "','" DIFF_B "','" DIFF_C "']},"
        "'history':[{'created_by':'a'},{'created_by':'b','empty_layer':true},"
        "{'created':'2024-01-01T00:00:00+01:00','created_by':'c','author':'x','comment':'y'}]}";

static const char oci_config_inspect[] =
        "{'Hostname':'','Domainname':'','User':'1000:1000','AttachStdin':false,"
        "'AttachStdout':false,'AttachStderr':false,'ExposedPorts':{'80/tcp':{},'8080/tcp':{}},"
        "'Tty':false,'OpenStdin':false,'StdinOnce':false,'Env':[],'Cmd':['serve'],"
        "'Healthcheck':{'Test':['CMD','true'],'Interval':30000000000},'ArgsEscaped':true,"
        "'Image':'','Volumes':{'/data':{}},'WorkingDir':'/srv','Entrypoint':['/app'],"
        "'OnBuild':['RUN true'],'Labels':{'a':'b'},'StopSignal':'SIGTERM',"
        "'Shell':['/bin/sh','-c']}";

static void test_config_oci(void **state)
{
	_cleanup_(image_config_freep) struct image_config *c = parse_config(oci_config);
	_cleanup_json_ json_t *dj = NULL;
	_cleanup_free_ char *s = NULL, *want = jd(oci_config_inspect);

	assert_string_equal(c->variant, "v8");
	assert_string_equal(c->author, "me");
	assert_string_equal(c->entrypoint[0], "/app");
	assert_string_equal(c->cmd[0], "serve");
	assert_string_equal(c->exposed_ports[0], "80/tcp");
	assert_string_equal(c->exposed_ports[1], "8080/tcp");
	assert_string_equal(c->volumes[0], "/data");
	assert_non_null(c->env);
	assert_null(c->env[0]);
	assert_string_equal(json_string_value(json_object_get(c->labels, "a")), "b");
	assert_string_equal(c->stop_signal, "SIGTERM");
	assert_non_null(c->healthcheck);
	assert_true(c->args_escaped);
	assert_string_equal(c->shell[1], "-c");
	assert_string_equal(c->on_build[0], "RUN true");
	assert_int_equal(c->n_diff_ids, 3);
	assert_int_equal(c->n_history, 3);
	assert_true(c->history_short); /* 2 non-empty entries for 3 layers: accepted */
	assert_string_equal(c->history[2].author, "x");
	assert_string_equal(c->history[2].comment, "y");
	dj = image_config_docker_json(c);
	s = json_compact(dj);
	assert_string_equal(s, want);
}

static void test_config_minimal(void **state)
{
	_cleanup_(image_config_freep) struct image_config *c =
	        parse_config("{'rootfs':{'type':'layers'}}");
	_cleanup_json_ json_t *dj = image_config_docker_json(c);

	assert_false(c->has_config);
	assert_int_equal(c->n_diff_ids, 0);
	assert_null(c->created);
	assert_true(json_is_null(dj));
}

static void check_config_refused(const char *text, int code, const char *msg)
{
	_cleanup_free_ char *doc = jd(text);
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_config *c = NULL;
	int r = image_config_parse(doc, strlen(doc), &c, &err);

	if (r != -code)
		fail_msg("%s: expected %d, got %d (%s)", text, -code, r,
		         err ? error_message(err) : "");
	assert_null(c);
	if (!strstr(error_message(err), msg))
		fail_msg("%s: \"%s\" lacks \"%s\"", text, error_message(err), msg);
	assert_int_equal(image_config_parse(doc, strlen(doc), &c, NULL), -code);
}

#define RF "'rootfs':{'type':'layers','diff_ids':['" DIFF_A "']}"

static void test_config_refused(void **state)
{
	check_config_refused("[]", EINVAL, "image config: expected a JSON object");
	check_config_refused("{", EINVAL, "image config: invalid JSON");
	check_config_refused("{}", EINVAL, "rootfs: required");
	check_config_refused("{'rootfs':{}}", EINVAL, "rootfs.type: required");
	check_config_refused("{'rootfs':{'type':'layers','diff_ids':'x'}}", EINVAL,
	                     "rootfs.diff_ids: expected an array");
	check_config_refused("{'rootfs':{'type':'overlay'}}", EINVAL,
	                     "rootfs.type: expected \"layers\", got \"overlay\"");
	check_config_refused("{'rootfs':{'type':'layers','diff_ids':['" DIFF_A "','sha256:x']}}",
	                     EINVAL, "rootfs.diff_ids[1]: invalid digest \"sha256:x\"");
	check_config_refused("{'rootfs':{'type':'layers','diff_ids':[1]}}", EINVAL,
	                     "rootfs.diff_ids[0]: expected a string");
	check_config_refused("{'created':'yesterday'," RF "}", EINVAL,
	                     "created: invalid time \"yesterday\"");
	check_config_refused("{'created':5," RF "}", EINVAL, "created: expected a string");
	check_config_refused("{'architecture':['amd64']," RF "}", EINVAL,
	                     "architecture: expected a string");
	check_config_refused("{'config':[]," RF "}", EINVAL, "config: expected an object");
	check_config_refused("{'config':{'Env':'A=1'}," RF "}", EINVAL,
	                     "config.Env: expected an array of strings");
	check_config_refused("{'config':{'Cmd':[1]}," RF "}", EINVAL,
	                     "config.Cmd[0]: expected a string");
	check_config_refused("{'config':{'Labels':{'a':1}}," RF "}", EINVAL,
	                     "config.Labels.a: expected a string");
	check_config_refused("{'config':{'ExposedPorts':['80/tcp']}," RF "}", EINVAL,
	                     "config.ExposedPorts: expected an object");
	check_config_refused("{'config':{'ArgsEscaped':'yes'}," RF "}", EINVAL,
	                     "config.ArgsEscaped: expected true or false");
	check_config_refused("{'config':{'Healthcheck':'x'}," RF "}", EINVAL,
	                     "config.Healthcheck: expected an object");
	check_config_refused("{'history':{}," RF "}", EINVAL, "history: expected an array");
	check_config_refused("{'history':[5]," RF "}", EINVAL, "history[0]: expected an object");
	check_config_refused("{'history':[{'created':'2024-02-30T00:00:00Z'}]," RF "}", EINVAL,
	                     "history[0].created: invalid time");
	check_config_refused("{'history':[{'empty_layer':'no'}]," RF "}", EINVAL,
	                     "history[0].empty_layer: expected true or false");
	/* Docker's check: more non-empty history entries than layers */
	check_config_refused("{'history':[{'created_by':'a'},{'created_by':'b'}]," RF "}", EINVAL,
	                     "history: too many non-empty layers in History section (2, but 1 "
	                     "diff_ids)");
	check_config_refused("{'history':[{}],'rootfs':{'type':'layers'}}", EINVAL,
	                     "too many non-empty layers");
}

static void test_config_history_counts(void **state)
{
	_cleanup_(image_config_freep) struct image_config *exact = parse_config(
	        "{'history':[{'created_by':'a'},{'empty_layer':true},{'empty_layer':true}]," RF
	        "}");
	_cleanup_(image_config_freep) struct image_config *none = parse_config("{" RF "}");

	assert_false(exact->history_short);
	assert_int_equal(exact->n_history, 3);
	assert_false(none->history_short);
	assert_int_equal(none->n_history, 0);
}

static void test_config_size_cap(void **state)
{
	size_t big = IMAGE_CONFIG_MAX_SIZE + 1;
	_cleanup_free_ char *huge = malloc(big);
	_cleanup_error_ struct husk_error *err = NULL;
	struct image_config *c = NULL;

	memset(huge, ' ', big);
	assert_int_equal(image_config_parse(huge, big, &c, &err), -EFBIG);
	assert_non_null(strstr(error_message(err), "image config: larger than"));
	assert_null(c);
}

static void test_chain_ids(void **state)
{
	struct digest diff[3], chain[3], by_hand;
	char buf[256];

	assert_int_equal(digest_parse(DIFF_A, &diff[0], NULL), 0);
	assert_int_equal(digest_parse(DIFF_B, &diff[1], NULL), 0);
	assert_int_equal(digest_parse(DIFF_C, &diff[2], NULL), 0);
	/* the diff IDs themselves are sha256("layer-a") … */
	digest_buf("layer-a", 7, &by_hand);
	assert_string_equal(by_hand.str, DIFF_A);
	image_chain_ids(diff, 3, chain);
	assert_string_equal(chain[0].str, DIFF_A);
	assert_string_equal(chain[1].str, CHAIN_B);
	assert_string_equal(chain[2].str, CHAIN_C);
	/* … and by hand: sha256("<chain[i-1]> <diff[i]>") */
	snprintf(buf, sizeof(buf), "%s %s", DIFF_A, DIFF_B);
	digest_buf(buf, strlen(buf), &by_hand);
	assert_string_equal(by_hand.str, CHAIN_B);
	snprintf(buf, sizeof(buf), "%s %s", CHAIN_B, DIFF_C);
	digest_buf(buf, strlen(buf), &by_hand);
	assert_string_equal(by_hand.str, CHAIN_C);
	/* in place works too; n == 0 touches nothing */
	image_chain_ids(diff, 3, diff);
	assert_string_equal(diff[2].str, CHAIN_C);
	image_chain_ids(NULL, 0, NULL);
}

/* ---- RFC 3339 ----------------------------------------------------------- */

static void test_rfc3339_parse(void **state)
{
	static const struct {
		const char *in;
		long long sec;
		long nsec;
	} cases[] = {
	        {"1970-01-01T00:00:00Z", 0, 0},
	        {"2006-01-02T15:04:05Z", 1136214245, 0},
	        {"2006-01-02T15:04:05.999999999Z", 1136214245, 999999999},
	        {"2006-01-02T15:04:05.5Z", 1136214245, 500000000},
	        {"2006-01-02T15:04:05.000000001Z", 1136214245, 1},
	        {"2006-01-02T15:04:05+07:00", 1136214245 - 7 * 3600, 0},
	        {"2006-01-02T15:04:05-07:00", 1136214245 + 7 * 3600, 0},
	        {"2006-01-02T15:04:05+00:00", 1136214245, 0},
	        {"2024-06-15T10:20:30.123456+05:30", 1718427030, 123456000},
	        {"2000-02-29T12:00:00Z", 951825600, 0},
	        {"0001-01-01T00:00:00Z", -62135596800LL, 0},
	        {"9999-12-31T23:59:59.123Z", 253402300799LL, 123000000},
	        {"1969-12-31T23:59:59.5Z", -1, 500000000},
	        {"2023-07-18T23:19:33.655005962Z", 1689722373, 655005962},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct timespec ts = {-7, -7};

		if (rfc3339_parse(cases[i].in, &ts) < 0)
			fail_msg("\"%s\" refused", cases[i].in);
		assert_int_equal(ts.tv_sec, cases[i].sec);
		assert_int_equal(ts.tv_nsec, cases[i].nsec);
	}
}

static void test_rfc3339_bad(void **state)
{
	static const struct {
		const char *in;
		int r;
	} cases[] = {
	        {"", -EINVAL},
	        {"2006-01-02", -EINVAL},
	        {"2006-01-02T15:04:05", -EINVAL},
	        {"2006-01-02 15:04:05Z", -EINVAL},
	        {"2006-01-02t15:04:05Z", -EINVAL},
	        {"2006-01-02T15:04:05z", -EINVAL},
	        {"2006-01-02T15:04:05.Z", -EINVAL},
	        {"2006-01-02T15:04:05.1234567890Z", -EINVAL},
	        {"2006-01-02T15:04:05+0700", -EINVAL},
	        {"2006-01-02T15:04:05+07", -EINVAL},
	        {"2006-01-02T15:04:05Zjunk", -EINVAL},
	        {"2006-01-02T15:04:05Z ", -EINVAL},
	        {" 2006-01-02T15:04:05Z", -EINVAL},
	        {"2006-1-02T15:04:05Z", -EINVAL},
	        {"+2006-01-02T15:04:05Z", -EINVAL},
	        {"20O6-01-02T15:04:05Z", -EINVAL},
	        {"2006-01-02T15:04:5Z", -EINVAL},
	        {"2006-13-02T15:04:05Z", -ERANGE},
	        {"2006-00-02T15:04:05Z", -ERANGE},
	        {"2006-01-00T15:04:05Z", -ERANGE},
	        {"2006-02-30T15:04:05Z", -ERANGE},
	        {"2001-02-29T00:00:00Z", -ERANGE},
	        {"1900-02-29T00:00:00Z", -ERANGE},
	        {"2006-04-31T00:00:00Z", -ERANGE},
	        {"2006-01-02T24:00:00Z", -ERANGE},
	        {"2006-01-02T23:60:00Z", -ERANGE},
	        {"2006-12-31T23:59:60Z", -ERANGE},
	        {"2006-01-02T15:04:05+24:00", -ERANGE},
	        {"2006-01-02T15:04:05+07:60", -ERANGE},
	};
	struct timespec ts;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (rfc3339_parse(cases[i].in, &ts) != cases[i].r)
			fail_msg("\"%s\": expected %d", cases[i].in, cases[i].r);
	assert_int_equal(rfc3339_parse(NULL, &ts), -EINVAL);
}

static void check_format(long long sec, long nsec, const char *want)
{
	struct timespec ts = {.tv_sec = (time_t)sec, .tv_nsec = nsec};
	_cleanup_free_ char *s = rfc3339_format(&ts);
	struct timespec back;

	if (!want) {
		assert_null(s);
		return;
	}
	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(rfc3339_parse(s, &back), 0);
	assert_int_equal(back.tv_sec, ts.tv_sec);
	assert_int_equal(back.tv_nsec, ts.tv_nsec);
}

static void test_rfc3339_format(void **state)
{
	check_format(0, 0, "1970-01-01T00:00:00Z");
	check_format(1136214245, 0, "2006-01-02T15:04:05Z");
	check_format(1136214245, 500000000, "2006-01-02T15:04:05.5Z");
	check_format(1136214245, 999999999, "2006-01-02T15:04:05.999999999Z");
	check_format(1136214245, 120, "2006-01-02T15:04:05.00000012Z");
	check_format(1136214245, 1, "2006-01-02T15:04:05.000000001Z");
	check_format(-1, 500000000, "1969-12-31T23:59:59.5Z");
	check_format(951825600, 0, "2000-02-29T12:00:00Z");
	check_format(-62135596800LL, 0, "0001-01-01T00:00:00Z");
	check_format(-62167219200LL, 0, "0000-01-01T00:00:00Z");
	check_format(253402300799LL, 999999999, "9999-12-31T23:59:59.999999999Z");
	check_format(253402300800LL, 0, NULL); /* year 10000 */
	check_format(-62167219201LL, 0, NULL); /* year -1 */
	check_format(0, 1000000000, NULL);
	check_format(0, -1, NULL);
}

/* The calendar arithmetic agrees with libc's gmtime_r over four centuries
 * (every 7919th day, so leap years and century rules are all crossed). */
static void test_rfc3339_against_libc(void **state)
{
	for (long long day = -719162; day < 2932896; day += 7919) {
		struct timespec ts = {.tv_sec = (time_t)(day * 86400 + 45296)};
		_cleanup_free_ char *s = rfc3339_format(&ts);
		char want[64];
		struct tm tm;

		assert_non_null(gmtime_r(&ts.tv_sec, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_string_equal(s, want);
	}
}

/* Every second boundary of a few odd days survives parse(format(t)). */
static void test_rfc3339_round_trips(void **state)
{
	static const long long starts[] = {-62135596800LL, -86400, 0, 951782400, 4107542400LL};

	for (size_t i = 0; i < ELEMENTSOF(starts); i++)
		for (long long t = starts[i]; t < starts[i] + 86400 * 3; t += 3607) {
			struct timespec ts = {.tv_sec = (time_t)t,
			                      .tv_nsec = (long)(t % 1000) * 1000};
			_cleanup_free_ char *s = NULL;
			struct timespec back;

			if (ts.tv_nsec < 0)
				ts.tv_nsec = -ts.tv_nsec;
			s = rfc3339_format(&ts);
			assert_non_null(s);
			assert_int_equal(rfc3339_parse(s, &back), 0);
			assert_int_equal(back.tv_sec, ts.tv_sec);
			assert_int_equal(back.tv_nsec, ts.tv_nsec);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_media_types),
	        cmocka_unit_test(test_oci_manifest),
	        cmocka_unit_test(test_docker_manifest),
	        cmocka_unit_test(test_oci_index),
	        cmocka_unit_test(test_docker_list),
	        cmocka_unit_test(test_kind_detection),
	        cmocka_unit_test(test_schema1_refused),
	        cmocka_unit_test(test_hostile_manifests),
	        cmocka_unit_test(test_hostile_sizes),
	        cmocka_unit_test(test_unwanted_kind),
	        cmocka_unit_test(test_unknown_layer_compression),
	        cmocka_unit_test(test_platform_parse),
	        cmocka_unit_test(test_platform_parse_errors),
	        cmocka_unit_test(test_platform_format),
	        cmocka_unit_test(test_platform_rank),
	        cmocka_unit_test(test_select),
	        cmocka_unit_test(test_select_fallbacks),
	        cmocka_unit_test(test_select_special_entries),
	        cmocka_unit_test(test_select_host),
	        cmocka_unit_test(test_build_oci),
	        cmocka_unit_test(test_build_docker),
	        cmocka_unit_test(test_build_edge_cases),
	        cmocka_unit_test(test_build_index),
	        cmocka_unit_test(test_config_docker),
	        cmocka_unit_test(test_config_oci),
	        cmocka_unit_test(test_config_minimal),
	        cmocka_unit_test(test_config_refused),
	        cmocka_unit_test(test_config_history_counts),
	        cmocka_unit_test(test_config_size_cap),
	        cmocka_unit_test(test_chain_ids),
	        cmocka_unit_test(test_rfc3339_parse),
	        cmocka_unit_test(test_rfc3339_bad),
	        cmocka_unit_test(test_rfc3339_format),
	        cmocka_unit_test(test_rfc3339_round_trips),
	        cmocka_unit_test(test_rfc3339_against_libc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
