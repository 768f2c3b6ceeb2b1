// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * just-pass.bpf.c - an XDP program that xlb did not load, for xlb-load(8)'s
 * example of a refusal (t/doc-examples.test attaches it with ip link).
 * Needs no header: 2 is XDP_PASS.
 */
__attribute__((section("xdp"), used)) int just_pass(void *ctx)
{
	return 2;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
