#include "cli/help.h"

#include <fmt/core.h>

namespace vireo {

std::string help_text()
{
    return R"(usage: vireo [options] [disk_image]

Options take QEMU's spelling, with one or two leading dashes.

Standard options:
-h, -help                display this help and exit
-version                 display version information and exit
-machine, -M pc|pc-i440fx-X.Y[,accel=kvm][,usb=off][,mem-merge=on|off][,vmport=off]
       [,smm=off][,hpet=off][,kernel-irqchip=on][,suppress-vmdesc=on|off]
                         select the machine (pc; pc-i440fx-1.4 .. 7.2 are the same pc;
                         none, QEMU's empty machine, is not run yet)
-accel kvm, -enable-kvm  use KVM (the only accelerator)
-no-user-config          accepted: vireo reads no configuration files
-overcommit mem-lock=on|off[,cpu-pm=off]
                         mem-lock=on locks guest RAM in host memory (mlock)
-rtc [base=utc|localtime|DATE][,clock=host][,driftfix=none|slew]
                         what the CMOS clock starts at (DATE: 2006-06-17T16:01:21 or
                         2006-06-17); it follows the host's clock; slew changes nothing
-msg timestamp=on|off    start vireo's own messages with the UTC time
-cpu host                expose the host CPU (also "max")
-m [size=]SIZE           guest RAM; a bare number counts MiB, suffixes K M G T
-smp [cpus=]N[,sockets=S][,cores=C][,threads=T][,maxcpus=M]
                         number of vCPUs and their topology (at most 255)
-name [guest=]NAME       name of the guest
-uuid UUID               the guest's UUID (query-uuid)

Block devices:
-drive file=FILE[,format=raw|qcow2][,if=virtio|ide|none][,id=ID][,index=I]
       [,readonly=on|off][,snapshot=on|off][,cache=writeback|none|writethrough|unsafe|directsync]
       [,aio=threads|native|io_uring][,discard=ignore|unmap][,media=disk]
                         add a disk image
-hda/-hdb/-hdc/-hdd FILE use FILE as IDE disk 0..3

Devices:
-device DRIVER[,prop=value...]
                         add a device (virtio-blk-pci, virtio-net-pci, ...)
-device, -netdev, -object '{"driver":...}'
                         QEMU's JSON form of the same options (as libvirt passes them)

Network:
-netdev tap,id=ID[,ifname=NAME][,fd=FD][,script=no][,downscript=no][,queues=N][,vnet_hdr=on|off]
-netdev user,id=ID[,net=ADDR/MASK][,host=ADDR][,dns=ADDR][,hostfwd=RULE...][,restrict=on|off]
       [,hostname=NAME]
                         add a network back end
-nic tap|user[,...][,model=virtio][,mac=MAC]
                         add a back end and a virtio NIC connected to it
-nic none                no network
-net nic[,model=virtio][,macaddr=MAC][,netdev=ID][,vlan=N]
-net tap|user[,...][,vlan=N]
-net none                old syntax: a NIC and a back end of the same vlan are connected

Character devices:
-chardev stdio|file|socket|null|pty,id=ID[,...]
                         add a character device back end

Monitors (QMP, the protocol of QEMU 7.2, and the human monitor):
-qmp unix:PATH,server=on,wait=off
-qmp tcp:HOST:PORT,server=on,wait=off
                         a QMP monitor on a listening socket (wait=on: wait for a first client)
-chardev socket,id=ID,path=PATH|host=H,port=P|fd=N,server=on,wait=off
-mon chardev=ID,mode=control[,pretty=on]
                         a QMP monitor on a socket chardev (fd=N: a listening socket passed down)
-mon chardev=ID[,mode=readline]
                         the human monitor on a socket (or stdio) chardev
-monitor stdio|unix:PATH,server=on,wait=off|tcp:HOST:PORT,server=on,wait=off|none
                         the human monitor ("(qemu) " prompt); under -nographic it shares
                         stdio with the serial console: Ctrl-A c switches between them
-S                       do not start the vCPUs until the monitor's cont
-no-shutdown             a guest power-off stops the VM instead of ending vireo
-daemonize               run in the background once the VM is ready (no stdio then)
-pidfile FILE            write vireo's process id to FILE (locked; removed at exit)

Display and serial:
-nographic               no display; the serial port goes to stdio
-display none            no display
-vga std|none            QEMU's standard VGA with Bochs VBE (PCI 00:02.0), or none (the default here
                         without -vnc)
-vnc [HOST]:N|unix:PATH|none[,websocket=PORT][,password=on|,password-secret=ID][,share=...]
                         a VNC server on TCP port 5900+N (no HOST: every address) or a Unix socket
-k LAYOUT                the keyboard layout VNC keys go through: en-us (default), de
-object secret,id=ID,data=TEXT|file=PATH
                         a secret (the VNC password for password-secret=ID)
-serial stdio|mon:stdio|file:PATH|null|none
                         redirect the next serial port (up to 4)

Linux boot:
-kernel FILE             the kernel (bzImage) to boot
-initrd FILE             the initial ram disk
-append CMDLINE          the kernel command line

Security (README.md, "The sandbox"):
-sandbox on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children]
         [,spawn=allow|deny][,resourcecontrol=allow|deny]
                         seccomp filters per thread (on unless -sandbox off)
-runas USER|UID[:GID]    drop to this user once /dev/kvm, taps and images are open
-chroot DIR              chroot to DIR once the first machine is built
-machine dump-guest-core=on
                         allow core dumps (off by default)

Other:
-no-reboot               exit instead of rebooting
)";
}

std::string version_text()
{
    return fmt::format("vireo version {}, QEMU-compatible options\n", VIREO_VERSION);
}

} // namespace vireo
