/* network_internal.h — what network.c (records, the /networks API),
 * endpoint.c (veths, addresses, /etc/hosts) and ports.c (published ports)
 * share. Not for use outside src/network. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include "network/ipam.h"
#include "network/nat.h"
#include "network/network.h"
#include "network/portredir.h"

#define NETWORK_RECORD_MAX (1u << 20)

struct networks {
	struct networks_config cfg;
	char bridge[16]; /* the default bridge's name */
	char table[32];  /* the nftables table's */
	char *dir;       /* <data-root>/network */
	json_t *nets;    /* id → record (Docker's network JSON + "husk.bridge") */
	json_t *eps;     /* "<container>/<network id>" → endpoint record */
	struct nat *nat; /* NULL when cfg.nat is off */
	/* the host's own connections to published TCP ports, straight to the
	 * container; NULL when cfg.nat is off or the kernel refused it */
	struct portredir *redir;
	/* "tcp/0.0.0.0:1234" → the fd of a socket bound to that published
	 * host port, so that nothing else takes it (not persisted: a
	 * restarted daemon binds them again) */
	json_t *held;
	pthread_mutex_t lock;
	pthread_cond_t idle;  /* signalled when nat_jobs drops to 0 */
	unsigned nat_jobs;    /* table removals running on their own thread */
	bool nat_release_due; /* one of them is yet to take the lock */
};

/* The record of a network by name, ID or unique ID prefix (borrowed), or
 * NULL. "default" means "bridge". */
json_t *net_find(struct networks *n, const char *name);
/* Make sure a bridge network's bridge exists with its gateway address and
 * its masquerade. Called with the lock held. */
int net_bridge_ensure(struct networks *n, json_t *net, struct husk_error **err);
/* Delete the nftables table when no endpoint is left, on a thread of its
 * own (a stop does not wait for the transaction), which looks again under
 * the lock. Lock held. */
void net_nat_release(struct networks *n);
/* Wait until no such removal is running. Lock held. */
void net_nat_settle(struct networks *n);
/* Persist a record (network or endpoint) as <dir>/<kind>/<name>.json, or
 * remove it (rec NULL). */
int net_record_save(struct networks *n, const char *kind, const char *name, json_t *rec,
                    struct husk_error **err);
/* The IPAM of a network (opened on each use; leases on disk). */
int net_ipam_open(struct networks *n, json_t *net, struct ipam **ret, struct husk_error **err);
/* The subnet/gateway of a bridge network's record. */
int net_subnet(json_t *net, struct ipam_subnet *ret_subnet, struct in_addr *ret_gw,
               struct husk_error **err);

/* endpoint.c: rewrite the /etc/hosts of every endpoint of a user network. */
void endpoint_hosts_refresh(struct networks *n, const char *net_id);
/* ports.c: publish one port (the DNAT map element, and for TCP the
 * redirect of the host's own connections) or withdraw it. Lock held. */
int net_port_add(struct networks *n, const struct nat_port *p, struct husk_error **err);
void net_port_del(struct networks *n, const struct nat_port *p);
/* ports.c: close the socket holding a published host port, or all of
 * them (the daemon's exit); bind again those the endpoint records publish
 * (its start). Lock held. */
void port_release(struct networks *n, const struct nat_port *p);
void ports_release_all(struct networks *n);
void ports_hold_all(struct networks *n);
/* ports.c: redirect every TCP port the endpoints publish (programs just
 * attached, their map empty). Lock held. */
void ports_redirect_all(struct networks *n);
/* ports.c: unpublish what an endpoint record lists. */
void ports_unpublish_record(struct networks *n, json_t *ep);
