/*
 * privcaps.c - see privcaps.h.
 */
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privcaps.h"

#define PRIVCAPS_WORD	CAP_TO_INDEX(CAP_NET_ADMIN)
#define PRIVCAPS_BIT	CAP_TO_MASK(CAP_NET_ADMIN)

static int privcaps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &head, data);
}

int privcaps_bound(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (cap != CAP_NET_ADMIN &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

int privcaps_keep_over_setuid(bool on)
{
	return prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0);
}

int privcaps_set(bool keep)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (privcaps_get(data) < 0)
		return -1;
	keep = keep && (data[PRIVCAPS_WORD].permitted & PRIVCAPS_BIT) != 0;
	memset(data, 0, sizeof(data));
	if (keep) {
		data[PRIVCAPS_WORD].permitted = PRIVCAPS_BIT;
		data[PRIVCAPS_WORD].effective = PRIVCAPS_BIT;
	}
	/* Ambient capabilities are cleared by the kernel with permitted ones,
	 * but not this one's: clear them all. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_capset, &head, data);
}

bool privcaps_left(bool keep)
{
	struct __user_cap_data_struct data[2];

	if (privcaps_get(data) < 0)
		return true;
	if (keep)
		data[PRIVCAPS_WORD].permitted &= ~PRIVCAPS_BIT;
	return data[0].permitted != 0 || data[1].permitted != 0 ||
	    data[0].inheritable != 0 || data[1].inheritable != 0;
}
