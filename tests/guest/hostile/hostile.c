/* A hostile guest program for vireo's robustness test (tests/guest/test_hostile.py): from inside
 * a Linux guest, as root, it writes random values to I/O ports, to the BARs of every PCI function
 * (through sysfs resourceN files) and to their configuration spaces, and sets up virtqueues whose
 * rings hold random descriptors (random addresses, lengths, flags, next indices), while the
 * guest's own drivers use the devices. Whatever the guest breaks is its own business; the VMM must
 * keep running. Deterministic for a seed.
 *
 * Usage: hostile SEED SECONDS [SKIP_BDF...]
 *   SKIP_BDF: PCI functions (e.g. 0000:00:05.0) left alone, such as the shell's console.
 * Ports that reset or power off the machine, and the serial console's, are left alone so that a
 * run lasts; the test covers those paths elsewhere. A fault in this program itself does not end
 * the run (see on_fault); the count is reported at the end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;
static volatile unsigned current_port; /* the last port action's, reported with a fault */

static uint64_t next_random(void)
{
    /* xorshift64*: small, deterministic for a seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n) { return n ? next_random() % n : 0; }

/* A random value biased towards the interesting ones: 0, all ones, small numbers, powers of two. */
static uint64_t nasty_value(void)
{
    switch (below(6)) {
    case 0: return 0;
    case 1: return ~0ULL;
    case 2: return below(16);
    case 3: return 1ULL << below(64);
    case 4: return (1ULL << below(64)) - 1;
    default: return next_random();
    }
}

#define MAX_FUNCTIONS 32
#define MAX_BARS 6

struct bar {
    int fd;
    uint64_t size;
    int io;          /* an I/O BAR: pread/pwrite on the resource file */
    volatile uint8_t* map; /* a memory BAR: mapped */
};

struct function {
    char bdf[256];
    int config_fd;
    struct bar bars[MAX_BARS];
};

static struct function functions[MAX_FUNCTIONS];
static int function_count;

static int skipped(const char* bdf, char** skip, int skip_count)
{
    for (int i = 0; i < skip_count; ++i) {
        if (strcmp(bdf, skip[i]) == 0)
            return 1;
    }
    return 0;
}

static void open_functions(char** skip, int skip_count)
{
    DIR* dir = opendir("/sys/bus/pci/devices");
    struct dirent* entry;
    if (!dir)
        return;
    while ((entry = readdir(dir)) && function_count < MAX_FUNCTIONS) {
        if (entry->d_name[0] == '.' || skipped(entry->d_name, skip, skip_count))
            continue;
        struct function* f = &functions[function_count++];
        char path[512];
        snprintf(f->bdf, sizeof(f->bdf), "%s", entry->d_name);
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", entry->d_name);
        f->config_fd = open(path, O_RDWR);
        for (int b = 0; b < MAX_BARS; ++b) {
            struct bar* bar = &f->bars[b];
            struct stat st;
            bar->fd = -1;
            snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", entry->d_name, b);
            int fd = open(path, O_RDWR | O_SYNC);
            if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
                if (fd >= 0)
                    close(fd);
                continue;
            }
            bar->fd = fd;
            bar->size = (uint64_t)st.st_size;
            void* map = mmap(NULL, bar->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED)
                bar->io = 1;
            else
                bar->map = map;
        }
        printf("hostile: %s\n", f->bdf);
    }
    closedir(dir);
}

/* Ports a run leaves alone: reset (0x92 bit 0, 0xcf9, the keyboard controller's pulse), the PM
 * block's sleep control (power-off) and the serial console. */
static int port_spared(unsigned port)
{
    return port == 0x92 || port == 0xcf9 || port == 0x64 || (port >= 0x600 && port < 0x640) ||
        (port >= 0x3f8 && port < 0x400) || (port >= 0xcf8 && port < 0xd00);
}

static void poke_port(void)
{
    unsigned port = (unsigned)below(0x10000);
    if (port_spared(port))
        return;
    current_port = port;
    uint32_t value = (uint32_t)nasty_value();
    switch (below(6)) {
    case 0: outb((uint8_t)value, port); break;
    case 1: outw((uint16_t)value, port); break;
    case 2: outl(value, port); break;
    case 3: (void)inb(port); break;
    case 4: (void)inw(port); break;
    default: (void)inl(port); break;
    }
}

static void poke_bar(struct function* f)
{
    struct bar* bar = &f->bars[below(MAX_BARS)];
    if (bar->fd < 0)
        return;
    uint64_t offset = below(bar->size) & ~3ULL;
    uint32_t value = (uint32_t)nasty_value();
    if (bar->map) {
        if (below(3) == 0)
            (void)*(volatile uint32_t*)(bar->map + offset);
        else if (below(2))
            *(volatile uint32_t*)(bar->map + offset) = value;
        else
            *(volatile uint8_t*)(bar->map + offset) = (uint8_t)value;
    } else {
        unsigned size = 1u << below(3);
        if (offset + size <= bar->size) {
            if (below(3) == 0)
                (void)!pread(bar->fd, &value, size, (off_t)offset);
            else
                (void)!pwrite(bar->fd, &value, size, (off_t)offset);
        }
    }
}

static void poke_config(struct function* f)
{
    if (f->config_fd < 0)
        return;
    /* Past the IDs; the header's BARs and command register included. */
    off_t offset = (off_t)(4 + below(256 - 4));
    uint32_t value = (uint32_t)nasty_value();
    unsigned size = 1u << below(3);
    if (offset + size > 256)
        return;
    if (below(4) == 0)
        (void)!pread(f->config_fd, &value, size, offset);
    else
        (void)!pwrite(f->config_fd, &value, size, offset);
}

/* The physical address of a page of this process (root reads /proc/self/pagemap). */
static uint64_t physical_address(void* page)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t entry = 0;
    if (fd < 0)
        return 0;
    (void)!pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / 4096 * 8));
    close(fd);
    if (!(entry & (1ULL << 63)))
        return 0;
    return (entry & ((1ULL << 55) - 1)) * 4096;
}

/* virtio 1.x over PCI: the common configuration structure's BAR and offset, from the vendor
 * capabilities (virtio 1.2, 4.1.4). */
static volatile uint8_t* virtio_common_config(struct function* f)
{
    uint8_t config[256];
    if (f->config_fd < 0 || pread(f->config_fd, config, sizeof(config), 0) != sizeof(config))
        return NULL;
    if (config[0] != 0xf4 || config[1] != 0x1a)
        return NULL;
    for (unsigned cap = config[0x34], hops = 0; cap && cap < 0xf0 && hops < 48; cap = config[cap + 1], ++hops) {
        if (config[cap] == 0x09 && config[cap + 3] == 1 /* common cfg */) {
            unsigned bar = config[cap + 4];
            uint32_t offset;
            memcpy(&offset, &config[cap + 8], 4);
            if (bar < MAX_BARS && f->bars[bar].map && offset + 64 <= f->bars[bar].size)
                return f->bars[bar].map + offset;
        }
    }
    return NULL;
}

/* One queue of a virtio device set up with rings of random content in a page of ours, or with
 * random guest-physical addresses, then enabled and notified through the notify BAR offset the
 * device gives (notified by writing everywhere in the BAR is left to poke_bar). */
static void garbage_virtqueue(struct function* f, uint8_t* page, uint64_t page_physical)
{
    volatile uint8_t* common = virtio_common_config(f);
    if (!common)
        return;
    for (unsigned i = 0; i < 4096 / 8; ++i)
        ((uint64_t*)page)[i] = nasty_value();
    /* status: ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK, sometimes */
    uint16_t queue = (uint16_t)below(4);
    *(volatile uint16_t*)(common + 0x16) = queue;          /* queue_select */
    *(volatile uint16_t*)(common + 0x18) = (uint16_t)(1u << below(9)); /* queue_size */
    uint64_t addresses[3];
    for (int i = 0; i < 3; ++i)
        addresses[i] = below(2) && page_physical ? page_physical + below(4096) : nasty_value();
    *(volatile uint32_t*)(common + 0x20) = (uint32_t)addresses[0]; /* queue_desc */
    *(volatile uint32_t*)(common + 0x24) = (uint32_t)(addresses[0] >> 32);
    *(volatile uint32_t*)(common + 0x28) = (uint32_t)addresses[1]; /* queue_driver (avail) */
    *(volatile uint32_t*)(common + 0x2c) = (uint32_t)(addresses[1] >> 32);
    *(volatile uint32_t*)(common + 0x30) = (uint32_t)addresses[2]; /* queue_device (used) */
    *(volatile uint32_t*)(common + 0x34) = (uint32_t)(addresses[2] >> 32);
    *(volatile uint16_t*)(common + 0x1c) = 1;                 /* queue_enable */
    if (below(2))
        *(volatile uint8_t*)(common + 0x14) = 0x0f;           /* device_status */
}

/* A fault in this program (a device wrote over its memory through the garbage it was given, or
 * a BAR access the guest's kernel refused) does not end the run: the loop goes on with the next
 * action, so that every VMM meets the whole run. Counted, with the first fault's address. */
enum action { PORT, BAR, CONFIG, VIRTQUEUE, ACTION_KINDS };
static const char* const action_names[ACTION_KINDS] = { "port", "BAR", "config", "virtqueue" };
static volatile enum action current_action;
static volatile unsigned first_fault_port;
static volatile unsigned long actions_before_fault;
static volatile unsigned long actions; /* kept across siglongjmp */
static sigjmp_buf after_fault;
static volatile sig_atomic_t fault_count;
static volatile unsigned long faults_by_action[ACTION_KINDS];
static volatile unsigned long faults_in_a_row; /* with no action completed between them */
static void* volatile first_fault;
static volatile int first_signal;

static void on_fault(int signal, siginfo_t* info, void* context)
{
    (void)context;
    if (fault_count++ == 0) {
        first_fault = info->si_addr;
        first_signal = signal;
        first_fault_port = current_port;
        actions_before_fault = actions;
    }
    ++faults_by_action[current_action];
    ++faults_in_a_row;
    siglongjmp(after_fault, 1);
}

static void recover_from_faults(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &action, NULL);
    sigaction(SIGBUS, &action, NULL);
    sigaction(SIGILL, &action, NULL);
}

int main(int argc, char** argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hostile SEED SECONDS [SKIP_BDF...]\n");
        return 2;
    }
    rng_state = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
    int seconds = atoi(argv[2]);
    if (iopl(3) < 0) {
        perror("hostile: iopl");
        return 1;
    }
    open_functions(argv + 3, argc - 3);
    uint8_t* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (page == MAP_FAILED)
        return 1;
    page[0] = 1;
    uint64_t page_physical = physical_address(page);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("hostile: seed %s, %d s, %d PCI functions, ring page at %#llx\n", argv[1], seconds, function_count,
        (unsigned long long)page_physical);
    time_t end = time(NULL) + seconds;
    recover_from_faults();
    if (sigsetjmp(after_fault, 1) && faults_in_a_row > 1000) {
        printf("hostile: stopped after %d faults\n", (int)fault_count);
        return 3; /* faulting at every step: this process's own memory is gone */
    }
    while (time(NULL) < end) {
        for (int burst = 0; burst < 256; ++burst, ++actions, faults_in_a_row = 0) {
            unsigned what = (unsigned)below(100);
            struct function* f = function_count ? &functions[below((uint64_t)function_count)] : NULL;
            if (what < 40 || !f) {
                current_action = PORT;
                poke_port();
            } else if (what < 75) {
                current_action = BAR;
                poke_bar(f);
            } else if (what < 95) {
                current_action = CONFIG;
                poke_config(f);
            } else {
                current_action = VIRTQUEUE;
                garbage_virtqueue(f, page, page_physical);
            }
        }
    }
    printf("hostile: done, %lu actions\n", actions);
    if (fault_count) {
        printf("hostile: %d faults in this program, the first %s at %p after %lu actions, last port %#x (by action:",
            (int)fault_count, first_signal == SIGSEGV ? "SIGSEGV" : first_signal == SIGBUS ? "SIGBUS" : "SIGILL",
            first_fault, actions_before_fault, first_fault_port);
        for (int kind = 0; kind < ACTION_KINDS; ++kind)
            printf(" %s %lu", action_names[kind], faults_by_action[kind]);
        printf(")\n");
    }
    return 0;
}
