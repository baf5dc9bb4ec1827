# SPDX-License-Identifier: GPL-2.0
#
# port53guard: the human entry point.
#   make            build the module (against KDIR) and the tool
#   make install    install both (DESTDIR, PREFIX honoured); depmod unless DESTDIR;
#                   and what loads the guard at boot (BOOT, below)
#   make install-tool  the tool and the boot loading alone (after dkms install)
#   make check      every test: userspace, builds, guests, KUnit
#   make demo       boot a guest and show the guard refusing DNS
#   make style      checkpatch on the kernel sources
#   make bench      the guard against nftables, iptables and ipset, in guests
#   make stress     the long reliability tests (fuzzing, floods, churn), one table
#
# Cross build (KDIR: that architecture's kernel headers, with host tools):
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...
#   make ARCH=arm   CROSS_COMPILE=arm-linux-gnueabihf- KDIR=...
#   make ARCH=mips  CROSS_COMPILE=mipsel-linux-gnu- KDIR=...
# The module is built in module/ as natively (kbuild rebuilds when the
# architecture changes); the tool goes to tools/build/$(ARCH)/port53guard,
# never over the native tools/port53guard. tests/vm/run arm64 (armhf, mipsel)
# does it all against Debian's kernels and runs the guest tests there.

KVER    ?= $(shell uname -r)
KDIR    ?= /lib/modules/$(KVER)/build
PREFIX  ?= /usr/local
DESTDIR ?=
P53G_CACHE ?= /var/cache/port53guard
export P53G_CACHE

all: module tool

module:
	@test -d "$(KDIR)" || { echo "port53guard: no kernel build tree at $(KDIR);" \
		"install linux-headers-$(KVER) or set KDIR=" >&2; exit 1; }
	$(if $(CROSS_COMPILE),$(if $(filter command line environment,$(origin KDIR)),, \
		@echo "port53guard: a cross build needs KDIR= (that architecture's headers)" >&2; exit 1))
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

tool:
	$(MAKE) -C tools

# What loads the guard at boot. BOOT=systemd: port53guard.service (the
# package's, with the tool under PREFIX) and, if there is none, the
# protective /etc/port53guard/port53guard.conf; enabled at once when
# systemd runs here and there is no DESTDIR. BOOT=modules-load: an
# /etc/modules-load.d entry (modprobe.d options configure it). BOOT=none:
# nothing. Default: systemd where it runs, else modules-load.
BOOT ?= $(if $(wildcard /run/systemd/system),systemd,modules-load)
SYSTEMDUNITDIR ?= /lib/systemd/system
UNIT := $(DESTDIR)$(SYSTEMDUNITDIR)/port53guard.service
CONFFILE := $(DESTDIR)/etc/port53guard/port53guard.conf
LOADFILE := $(DESTDIR)/etc/modules-load.d/port53guard.conf

install: all
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" INSTALL_MOD_PATH="$(DESTDIR)" \
		INSTALL_MOD_DIR=updates/dkms modules_install
	$(if $(DESTDIR),,depmod -a "$(KVER)")
	$(MAKE) install-tool

install-tool: tool
	$(MAKE) -C tools install DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)"
ifeq ($(BOOT),systemd)
	install -d "$(dir $(UNIT))"
	sed 's|/usr/sbin/port53guard|$(PREFIX)/sbin/port53guard|g' debian/port53guard.service >"$(UNIT)"
	chmod 0644 "$(UNIT)"
	test -e "$(CONFFILE)" || install -D -m 0644 debian/port53guard.conf "$(CONFFILE)"
	$(if $(DESTDIR),,systemctl daemon-reload && systemctl enable port53guard.service)
else ifeq ($(BOOT),modules-load)
	install -d "$(dir $(LOADFILE))"
	echo port53guard >"$(LOADFILE)"
else ifneq ($(BOOT),none)
	$(error BOOT must be systemd, modules-load or none)
endif

uninstall:
	rm -f "$(DESTDIR)/lib/modules/$(KVER)/updates/dkms/module/port53guard.ko"*
	$(if $(DESTDIR),,depmod -a "$(KVER)" || true)
	$(MAKE) -C tools uninstall DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)"
	$(if $(DESTDIR),,-systemctl disable port53guard.service 2>/dev/null)
	rm -f "$(UNIT)" "$(LOADFILE)"
	# the conffile only as shipped: a changed one is the operator's
	-cmp -s debian/port53guard.conf "$(CONFFILE)" && rm -f "$(CONFFILE)"

clean:
	-$(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean 2>/dev/null
	rm -f module/*.o module/*.ko module/*.mod* module/.*.cmd module/modules.order \
		module/Module.symvers Module.symvers modules.order .*.cmd
	$(MAKE) -C tools clean
	rm -rf tests/out

style:
	@tests/style.sh

check:
	@tests/check.sh

demo:
	@tests/demo.sh

stress:
	@tests/stress.sh

bench:
	@tests/bench/run.sh

.PHONY: all module tool install install-tool uninstall clean style check demo bench stress
