// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pcapout.c - see pcapout.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "pcapout.h"

int xlb_pcapout_is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

int xlb_pcapout_open(struct xlb_pcapout *po, const char *path, int snaplen,
		     char *why, size_t whylen)
{
	FILE *fp;
	int rc;

	memset(po, 0, sizeof(*po));
	po->of.fd = -1;
	po->path = path;
	po->to_stdout = xlb_pcapout_is_stdout(path);
	if (po->to_stdout && isatty(STDOUT_FILENO)) {
		snprintf(why, whylen,
			 "standard output is a terminal; pipe the capture into "
			 "'tcpdump -r -' or redirect it to a file");
		return -1;
	}
	po->dead = pcap_open_dead(DLT_EN10MB, snaplen);
	if (!po->dead) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (po->to_stdout) {
		po->dump = pcap_dump_fopen(po->dead, stdout);
		if (po->dump)
			return 0;
		snprintf(why, whylen, "cannot write to standard output: %s",
			 pcap_geterr(po->dead));
		goto fail;
	}
	rc = xlb_outfile_open(&po->of, path);
	if (rc) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 strerror(-rc));
		goto fail;
	}
	fp = fdopen(po->of.fd, "wb");
	po->dump = fp ? pcap_dump_fopen(po->dead, fp) : NULL;
	if (!po->dump) {
		snprintf(why, whylen, "cannot write '%s': %s", path,
			 fp ? pcap_geterr(po->dead) : strerror(errno));
		if (fp) {
			fclose(fp);
			po->of.fd = -1;
		}
		xlb_outfile_abort(&po->of);
		goto fail;
	}
	po->of.fd = -1; /* the dumper owns the descriptor now */
	return 0;
fail:
	pcap_close(po->dead);
	po->dead = NULL;
	return -1;
}

void xlb_pcapout_write(struct xlb_pcapout *po, const struct pcap_pkthdr *h,
		       const unsigned char *data)
{
	pcap_dump((unsigned char *)po->dump, h, data);
}

int xlb_pcapout_commit(struct xlb_pcapout *po, char *why, size_t whylen)
{
	int rc;

	errno = 0;
	rc = pcap_dump_flush(po->dump) ? -(errno ? errno : EIO) : 0;
	pcap_dump_close(po->dump);
	po->dump = NULL;
	if (!rc && !po->to_stdout)
		rc = xlb_outfile_commit(&po->of);
	if (rc && po->to_stdout)
		snprintf(why, whylen, "cannot write to standard output: %s",
			 strerror(-rc));
	else if (rc)
		snprintf(why, whylen, "cannot write '%s': %s", po->path,
			 strerror(-rc));
	xlb_pcapout_abort(po);
	return rc ? -1 : 0;
}

void xlb_pcapout_abort(struct xlb_pcapout *po)
{
	if (po->dump)
		pcap_dump_close(po->dump);
	po->dump = NULL;
	if (po->of.path)
		xlb_outfile_abort(&po->of);
	if (po->dead)
		pcap_close(po->dead);
	po->dead = NULL;
}
