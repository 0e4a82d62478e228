#!/bin/sh
# Exit 0 when /dev/kvm here can boot an unmodified Linux guest (hardware KVM: kvm_intel or kvm_amd).
[ -n "${VIREO_IN_TESTHOST:-}" ] && exit 0
[ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]
