// SPDX-License-Identifier: GPL-2.0
/*
 * Print what KVM says of a capability, as a VMM asks it: on a new VM's
 * file descriptor, and on /dev/kvm. For the real-VMM rows, which compare
 * capability 243 (KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED) with what QEMU
 * met when it registered guest RAM on cacheable PFNMAP memory.
 *   kvm-cap NUMBER  ->  "vm=R dev=R", R a return value or "-errno"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

static long check(int fd, long cap)
{
	long r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? -errno : r;
}

int main(int argc, char **argv)
{
	int kvm, vm;
	long cap;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CAPABILITY\n", argv[0]);
		return 2;
	}
	cap = strtol(argv[1], NULL, 0);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0) {
		perror("/dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return 1;
	}
	printf("vm=%ld dev=%ld\n", check(vm, cap), check(kvm, cap));
	return 0;
}
