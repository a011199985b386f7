/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real-VMM rows' guest: a bare-metal program for QEMU's arm64 "virt"
 * machine (highmem=off), loaded by QEMU as an ELF into guest RAM and run
 * from it. It maps its RAM Normal write-back and the I/O space Device at
 * stage 1, so the memory type the guest sees is the one stage 2 gives,
 * then prints one line per check on the PL011 UART:
 *   LAB-GUEST ram unaligned=ok|fault  - an unaligned load from RAM: faults
 *                                       (alignment) only if stage 2 is Device
 *   LAB-GUEST ram exec=ok             - code copied to a fresh page ran
 *   LAB-GUEST ram ldxr-stxr=N|stuck   - N exclusive increments (of 4096)
 *   LAB-GUEST ram lse=ok|absent       - LDADD and CAS, if the CPU has LSE
 *   LAB-GUEST edu ident=X live=N      - QEMU's "edu" PCI device, if found
 *                                       on bus 0: its BAR 0 programmed, its
 *                                       identification register, and N of
 *                                       4096 liveness write/read pairs
 *                                       answered with the inverted value
 *   LAB-GUEST-DONE
 * and then waits, so that the host can read KVM's view of the VM (stage-2
 * dump, exit counters) before it stops QEMU. Under TCG, which models no
 * caches, the unaligned, exclusive and LSE checks pass on any Normal type,
 * Normal-NC included: only the stage-2 dump tells the two apart. The UART
 * is written without setup or flow control, which QEMU's PL011 accepts.
 */
#define UART		0x09000000
#define ECAM		0x3f000000	/* highmem=off: the low ECAM, bus 0.. */
#define EDU_BAR		0x10000000	/* start of the 32-bit PCI MMIO window */
#define EDU_ID		0x11e81234	/* device 0x11e8, vendor 0x1234 */
#define LOOPS		4096

	.text
	.globl	_start
_start:
	adr	x0, vectors
	msr	vbar_el1, x0
	adr	x0, stack_top
	mov	sp, x0

	/* Identity map, 4 KiB granule, 32-bit VA: level-1 1 GiB blocks. */
	adr	x0, l1
	ldr	x1, =(0x00000000 | (0 << 2) | (1 << 10) | (3 << 53) | 1)
	str	x1, [x0]			/* I/O: Device-nGnRE, XN */
	ldr	x1, =(0x40000000 | (1 << 2) | (3 << 8) | (1 << 10) | 1)
	str	x1, [x0, #8]			/* RAM: Normal WB, inner shareable */
	/* Written with the MMU off, walked cacheable: no stale line of it. */
	dsb	sy
	dc	ivac, x0
	dsb	sy
	msr	ttbr0_el1, x0
	ldr	x1, =0xff04			/* attr0 Device-nGnRE, attr1 WB */
	msr	mair_el1, x1
	/* T0SZ=32, WB walks, inner shareable, EPD1, IPS=32 bits */
	ldr	x1, =(32 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	mrs	x1, sctlr_el1
	orr	x1, x1, #(1 << 0)		/* M */
	orr	x1, x1, #(1 << 2)		/* C */
	orr	x1, x1, #(1 << 12)		/* I */
	bic	x1, x1, #(1 << 1)		/* no alignment checks of Normal */
	msr	sctlr_el1, x1
	isb

	adr	x0, s_start
	bl	puts

	/* An unaligned load: only a Device type faults it. */
	adr	x19, align_faults
	str	xzr, [x19]
	adr	x0, data
	ldr	x1, [x0, #1]
	adr	x0, s_unaligned
	bl	puts
	ldr	x1, [x19]
	adr	x0, s_ok
	cbz	x1, 1f
	adr	x0, s_fault
1:	bl	puts

	/* Copy a function to a fresh page, make it visible, run it. */
	adr	x0, func
	adr	x1, exec_page
	ldp	x2, x3, [x0]
	stp	x2, x3, [x1]
	dc	cvau, x1
	dsb	ish
	ic	ivau, x1
	dsb	ish
	isb
	blr	x1
	mov	x20, x0
	adr	x0, s_exec
	bl	puts
	ldr	x1, =0x5a5a
	adr	x0, s_ok
	cmp	x20, x1
	b.eq	1f
	adr	x0, s_bad
1:	bl	puts

	/*
	 * Exclusive increments, each retried at most 1000 times: a store-
	 * exclusive that never succeeds ends the loop ("stuck").
	 */
	adr	x1, counter
	str	xzr, [x1]
	mov	x2, #LOOPS
2:	mov	x5, #1000
6:	ldxr	x3, [x1]
	add	x3, x3, #1
	stxr	w4, x3, [x1]
	cbz	w4, 7f
	subs	x5, x5, #1
	b.ne	6b
	adr	x0, s_excl
	bl	puts
	adr	x0, s_stuck
	bl	puts
	b	8f
7:	subs	x2, x2, #1
	b.ne	2b
	adr	x0, s_excl
	bl	puts
	ldr	x0, [x1]
	bl	putdec
	adr	x0, s_nl
	bl	puts
8:

	/* LSE atomics, if ID_AA64ISAR0_EL1.Atomic says the CPU has them. */
	adr	x0, s_lse
	bl	puts
	mrs	x1, id_aa64isar0_el1
	ubfx	x1, x1, #20, #4
	adr	x0, s_absent
	cbz	x1, 3f
	adr	x1, counter
	mov	x2, #7
	ldadd	x2, x3, [x1]			/* counter = LOOPS + 7 */
	mov	x4, #(LOOPS + 7)
	mov	x5, #42
	cas	x4, x5, [x1]			/* counter = 42 if it was LOOPS + 7 */
	ldr	x6, [x1]
	adr	x0, s_ok
	cmp	x3, #LOOPS
	b.ne	4f
	cmp	x6, #42
	b.eq	3f
4:	adr	x0, s_bad
3:	bl	puts

	bl	edu
	adr	x0, s_done
	bl	puts
5:	wfi
	b	5b

/* The edu device: find it, give BAR 0 an address, enable, exercise. */
edu:
	mov	x21, x30
	ldr	x1, =ECAM
	mov	x2, #0				/* slot */
	ldr	w3, =EDU_ID
1:	ldr	w4, [x1]
	cmp	w4, w3
	b.eq	2f
	add	x1, x1, #(1 << 15)
	add	x2, x2, #1
	cmp	x2, #32
	b.ne	1b
	ret	x21				/* no edu: nothing to print */
2:	ldr	w4, =EDU_BAR
	str	w4, [x1, #0x10]			/* BAR 0 */
	ldrh	w4, [x1, #0x04]
	orr	w4, w4, #0x2			/* command: memory space */
	strh	w4, [x1, #0x04]			/* (not the status half) */
	ldr	x1, =EDU_BAR
	adr	x0, s_edu
	bl	puts
	ldr	w0, [x1]			/* identification */
	bl	puthex
	adr	x0, s_live
	bl	puts
	mov	x2, #0				/* answers right */
	mov	x3, #0				/* i */
3:	str	w3, [x1, #0x04]
	ldr	w4, [x1, #0x04]
	mvn	w5, w3
	cmp	w4, w5
	cinc	x2, x2, eq
	add	x3, x3, #1
	cmp	x3, #LOOPS
	b.ne	3b
	mov	x0, x2
	bl	putdec
	adr	x0, s_nl
	bl	puts
	ret	x21

/* puts(x0): print a NUL-terminated string; clobbers x0, x9, x10. */
puts:	ldr	x9, =UART
1:	ldrb	w10, [x0], #1
	cbz	w10, 2f
	str	w10, [x9]
	b	1b
2:	ret

/* puthex(w0), putdec(x0); clobber x0, x9-x13. */
puthex:	ldr	x9, =UART
	mov	w10, #'0'
	str	w10, [x9]
	mov	w10, #'x'
	str	w10, [x9]
	mov	x11, #28
1:	lsr	w10, w0, w11
	and	w10, w10, #0xf
	cmp	w10, #10
	add	w12, w10, #'0'
	add	w13, w10, #('a' - 10)
	csel	w10, w12, w13, lt
	str	w10, [x9]
	subs	x11, x11, #4
	b.ge	1b
	ret

putdec:	ldr	x9, =UART
	adr	x11, digits_end
	mov	x12, #10
1:	udiv	x13, x0, x12
	msub	x10, x13, x12, x0
	add	w10, w10, #'0'
	strb	w10, [x11, #-1]!
	mov	x0, x13
	cbnz	x0, 1b
	adr	x13, digits_end
2:	ldrb	w10, [x11], #1
	str	w10, [x9]
	cmp	x11, x13
	b.ne	2b
	ret

/* Copied to exec_page and called there. */
	.balign	16
func:	mov	x0, #0x5a5a
	ret

/*
 * Exceptions: an alignment fault of a data access is counted and skipped;
 * anything else is printed with its syndrome, and the guest stops there.
 */
	.balign	2048
vectors:
	.rept	4
	.balign	128
	b	unexpected
	.endr
	.balign	128
	b	sync_spx
	.rept	11
	.balign	128
	b	unexpected
	.endr

sync_spx:
	mrs	x9, esr_el1
	lsr	x10, x9, #26
	cmp	x10, #0x25			/* data abort, same EL */
	b.ne	unexpected
	and	x10, x9, #0x3f
	cmp	x10, #0x21			/* alignment fault */
	b.ne	unexpected
	adr	x9, align_faults
	ldr	x10, [x9]
	add	x10, x10, #1
	str	x10, [x9]
	mrs	x9, elr_el1
	add	x9, x9, #4
	msr	elr_el1, x9
	eret

unexpected:
	mrs	x20, esr_el1
	mrs	x22, elr_el1
	adr	x0, s_exc
	bl	puts
	mov	x0, x20
	bl	puthex
	adr	x0, s_elr
	bl	puts
	mov	x0, x22
	bl	puthex
	adr	x0, s_nl
	bl	puts
1:	wfi
	b	1b

	.ltorg
s_start:	.asciz	"LAB-GUEST start\n"
s_unaligned:	.asciz	"LAB-GUEST ram unaligned="
s_exec:		.asciz	"LAB-GUEST ram exec="
s_excl:		.asciz	"LAB-GUEST ram ldxr-stxr="
s_lse:		.asciz	"LAB-GUEST ram lse="
s_edu:		.asciz	"LAB-GUEST edu ident="
s_live:		.asciz	" live="
s_exc:		.asciz	"LAB-GUEST exception esr="
s_elr:		.asciz	" elr="
s_ok:		.asciz	"ok\n"
s_bad:		.asciz	"wrong\n"
s_fault:	.asciz	"fault\n"
s_absent:	.asciz	"absent\n"
s_stuck:	.asciz	"stuck\n"
s_done:		.asciz	"LAB-GUEST-DONE\n"
s_nl:		.asciz	"\n"

	.balign	8
align_faults:	.quad	0
counter:	.quad	0
data:		.quad	0x0123456789abcdef, 0
digits:		.fill	24, 1, 0
digits_end:
	.balign	4096
l1:		.fill	512, 8, 0
exec_page:	.fill	4096, 1, 0
		.fill	4096, 1, 0
stack_top:
