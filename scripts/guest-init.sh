#!/bin/sh
# init of the default guest: mounts the basics, loads the virtio modules, gives a shell on the console.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "vireo-guest: init started"
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules.order
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname vireo-guest
echo "vireo-guest: ready"
# Benchmarks boot with vireo.poweroff on the command line: power off as soon as the guest is up.
case " $(cat /proc/cmdline) " in *" vireo.poweroff "*) poweroff -f ;; esac
while true; do
  setsid cttyhack sh -l
done
