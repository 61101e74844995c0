/*
 * wanem: a user-space WAN emulator for the namespace lab (perf-scripts/lab). This kernel has no netem, so the
 * lab routes one link through two TUN devices and this process carries IP packets between them.
 *
 * Design (see --help and docs/testing.md):
 *   - Two TUN devices (IFF_TUN | IFF_NO_PI), A and B, each optionally created inside a named network
 *     namespace (setns before opening /dev/net/tun; the device stays in that namespace). Packets read from A
 *     are written to B (direction "ab"), packets read from B are written to A ("ba"). Non-persistent: the
 *     devices disappear when this process exits.
 *   - Per direction, in this order: random loss (seeded splitmix64, independent of timing), a rate limit
 *     modelled as a serialising link with a FIFO tail-drop queue in front of it (a packet that would make the
 *     backlog exceed --queue-bytes is dropped), then a constant one-way delay. Delay and serialisation are
 *     per-direction FIFO, so release times never decrease and a ring buffer is the whole scheduler.
 *   - Memory is allocated once at start: one ring of fixed-size slots per direction (slot = MTU). No
 *     per-packet allocation. A full ring drops and counts.
 *   - One thread, ppoll() with a nanosecond timeout towards the earliest due packet, CLOCK_MONOTONIC, timer
 *     slack 1 ns. SIGTERM/SIGINT/SIGHUP end it cleanly (stats to stderr); SIGUSR1 prints stats.
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o wanem wanem.c   (perf-scripts/wan/build.sh does this on demand)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Packets read per device per wake-up before due packets are written again: keeps one busy side from
 * starving the other and from delaying releases by more than a few microseconds. */
#define READ_BURST 64
/* Limits on the command line. */
#define MAX_DELAY_MS 10000.0
#define MAX_RATE_MBIT 100000.0
#define MIN_MTU 576
#define MAX_MTU 9000
#define MAX_SLOTS (1u << 20)
#define MIN_SLOTS 256u

struct slot
{
    uint64_t release_ns; /* when the packet leaves the emulated link */
    uint32_t len;
};

struct counters
{
    uint64_t rx, rx_bytes, tx, tx_bytes, lost, queue_drop, ring_drop, write_err;
    /* Rate-limited links: time the link stood idle between packets less than IDLE_SPAN_NS apart (a transfer's
     * gaps, not the quiet between runs), and how many such gaps were 1 ms or longer. */
    uint64_t idle_ns, idle_gaps_1ms;
};

#define IDLE_SPAN_NS 1000000000.0

/* One direction of the link. Owned by the main loop; not thread-safe (there is only one thread). */
struct direction
{
    const char *name;
    int in_fd, out_fd;
    double delay_ms, loss_pct, rate_mbit;
    long long queue_bytes;
    /* derived */
    uint64_t delay_ns;
    uint64_t loss_threshold; /* drop when next random < threshold; 0 = never */
    double ns_per_byte;      /* 0 = unlimited rate */
    double tx_end_ns;        /* when the emulated link finishes sending the last accepted packet */
    uint64_t rng;
    /* ring */
    struct slot *slots;
    uint8_t *data;
    uint32_t nslots, head, count;
    struct counters c;
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stats_wanted;
static uint32_t mtu = 1500;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
    {
        stats_wanted = 1;
    }
    else
    {
        stop_signal = sig;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void die(const char *what)
{
    fprintf(stderr, "wanem: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void usage(FILE *out)
{
    fputs(
        "Usage: wanem --a TUN_A --b TUN_B [options]\n"
        "\n"
        "Creates two TUN devices and carries IP packets between them (A->B = direction ab, B->A = ba), applying\n"
        "per direction: random loss, a rate limit (serialising link behind a FIFO tail-drop queue) and a\n"
        "constant one-way delay. The devices exist while wanem runs; configure addresses after it printed\n"
        "'wanem ready' on stdout.\n"
        "\n"
        "  --a NAME, --b NAME        TUN device names (at most 15 characters)\n"
        "  --a-netns NS, --b-netns NS\n"
        "                            create the device inside network namespace NS (/run/netns/NS)\n"
        "  --delay-ms MS             one-way delay, both directions (default 0; fractions allowed)\n"
        "  --loss PCT                random loss in percent, both directions (default 0)\n"
        "  --rate-mbit R             link rate in Mbit/s (10^6 bit/s of IP bytes), both directions (0 = unlimited)\n"
        "  --queue-bytes N           tail-drop queue in front of the rate limit (default: one BDP at the\n"
        "                            configured rate and 2 x delay, at least 64 KiB)\n"
        "  --ab-delay-ms, --ab-loss, --ab-rate-mbit, --ab-queue-bytes, and the same with --ba-:\n"
        "                            one direction only (after the both-direction options, whatever the order)\n"
        "  --seed S                  loss random seed (default 1); each direction derives its own stream\n"
        "  --mtu N                   device MTU and packet slot size (default 1500, 576..9000)\n"
        "  --slots N                 ring slots per direction (default: enough for queue + delay line)\n"
        "  -h, --help                this text\n"
        "\n"
        "SIGTERM/SIGINT/SIGHUP: exit 0 after printing counters to stderr; SIGUSR1: print counters.\n",
        out);
}

static double parse_double(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
    {
        fprintf(stderr, "wanem: %s must be a number in [%g, %g] (got '%s')\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

static long long parse_ll(const char *opt, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    {
        fprintf(stderr, "wanem: %s must be an integer in [%lld, %lld] (got '%s')\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

/* Opens TUN device NAME, inside namespace NS when given, returns to the original namespace, sets MTU, up. */
static int open_tun(const char *name, const char *ns, int home_ns)
{
    if (ns != NULL)
    {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "/run/netns/%s", ns);
        int nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
        {
            die(path);
        }
        if (setns(nsfd, CLONE_NEWNET) != 0)
        {
            die("setns");
        }
        close(nsfd);
    }
    /* The device belongs to the namespace the /dev/net/tun file was opened in. */
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
    {
        die("/dev/net/tun");
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0)
    {
        die("TUNSETIFF");
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
    {
        die("socket");
    }
    ifr.ifr_mtu = (int)mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) != 0)
    {
        die("SIOCSIFMTU");
    }
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
    {
        die("SIOCGIFFLAGS");
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)
    {
        die("SIOCSIFFLAGS");
    }
    close(sock);
    if (ns != NULL && setns(home_ns, CLONE_NEWNET) != 0)
    {
        die("setns back");
    }
    return fd;
}

static void setup_direction(struct direction *d, uint64_t seed, uint32_t slots_opt)
{
    d->delay_ns = (uint64_t)(d->delay_ms * 1e6 + 0.5);
    d->loss_threshold = d->loss_pct <= 0.0 ? 0 : (d->loss_pct >= 100.0 ? UINT64_MAX
        : (uint64_t)(d->loss_pct / 100.0 * 18446744073709551616.0));
    d->ns_per_byte = d->rate_mbit > 0.0 ? 8000.0 / d->rate_mbit : 0.0;
    double bytes_per_s = d->rate_mbit * 1e6 / 8.0;
    if (d->queue_bytes < 0)
    {
        long long bdp = (long long)(bytes_per_s * 2.0 * d->delay_ms / 1000.0);
        d->queue_bytes = bdp > 65536 ? bdp : 65536;
    }
    d->rng = seed;
    uint32_t nslots = slots_opt;
    if (nslots == 0)
    {
        /* Queue plus the bytes in flight on the delay line, in full-size packets, twice over for smaller ones. */
        double in_flight = bytes_per_s > 0.0 ? bytes_per_s * d->delay_ms / 1000.0 : 0.0;
        double need = 2.0 * ((double)d->queue_bytes + in_flight) / (double)mtu + 1024.0;
        nslots = need > (double)MAX_SLOTS ? MAX_SLOTS : (uint32_t)need;
        if (bytes_per_s <= 0.0 && nslots < 8192)
        {
            nslots = 8192; /* unlimited rate: the delay line is bounded only by the ring */
        }
    }
    if (nslots < MIN_SLOTS)
    {
        nslots = MIN_SLOTS;
    }
    d->nslots = nslots;
    d->slots = calloc(nslots, sizeof *d->slots);
    d->data = malloc((size_t)nslots * mtu);
    if (d->slots == NULL || d->data == NULL)
    {
        die("ring allocation");
    }
}

static void print_stats(const struct direction *d, int n)
{
    for (int i = 0; i < n; i++)
    {
        const struct counters *c = &d[i].c;
        fprintf(stderr,
            "wanem stats %s: rx=%llu rx_bytes=%llu tx=%llu tx_bytes=%llu lost=%llu queue_drop=%llu ring_drop=%llu"
            " write_err=%llu idle_us=%llu idle_gaps_1ms=%llu queued=%u delay_ms=%g loss_pct=%g rate_mbit=%g queue_bytes=%lld slots=%u\n",
            d[i].name, (unsigned long long)c->rx, (unsigned long long)c->rx_bytes, (unsigned long long)c->tx,
            (unsigned long long)c->tx_bytes, (unsigned long long)c->lost, (unsigned long long)c->queue_drop,
            (unsigned long long)c->ring_drop, (unsigned long long)c->write_err,
            (unsigned long long)(c->idle_ns / 1000), (unsigned long long)c->idle_gaps_1ms, d[i].count, d[i].delay_ms,
            d[i].loss_pct, d[i].rate_mbit, d[i].queue_bytes, d[i].nslots);
    }
}

/* Writes every packet whose release time has come; returns the release time of the next one, or UINT64_MAX. */
static uint64_t release_due(struct direction *d, uint64_t now)
{
    while (d->count > 0)
    {
        struct slot *s = &d->slots[d->head];
        if (s->release_ns > now)
        {
            return s->release_ns;
        }
        ssize_t w = write(d->out_fd, d->data + (size_t)d->head * mtu, s->len);
        if (w == (ssize_t)s->len)
        {
            d->c.tx++;
            d->c.tx_bytes += s->len;
        }
        else
        {
            d->c.write_err++;
        }
        d->head = d->head + 1 == d->nslots ? 0 : d->head + 1;
        d->count--;
    }
    return UINT64_MAX;
}

/* Reads up to READ_BURST packets from d->in_fd and queues or drops each. */
static void read_burst(struct direction *d, uint8_t *scratch)
{
    for (int i = 0; i < READ_BURST; i++)
    {
        uint32_t tail = d->head + d->count;
        if (tail >= d->nslots)
        {
            tail -= d->nslots;
        }
        int full = d->count == d->nslots;
        /* Read straight into the next slot; when the ring is full into scratch, to drop it. */
        uint8_t *buf = full ? scratch : d->data + (size_t)tail * mtu;
        ssize_t n = read(d->in_fd, buf, mtu);
        if (n < 0)
        {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            {
                die("read");
            }
            return;
        }
        if (n == 0)
        {
            return;
        }
        d->c.rx++;
        d->c.rx_bytes += (uint64_t)n;
        if (full)
        {
            d->c.ring_drop++;
            continue;
        }
        if (d->loss_threshold != 0 && splitmix64(&d->rng) < d->loss_threshold)
        {
            d->c.lost++;
            continue;
        }
        uint64_t now = now_ns();
        double depart;
        if (d->ns_per_byte > 0.0)
        {
            double start = d->tx_end_ns > (double)now ? d->tx_end_ns : (double)now;
            double gap = (double)now - d->tx_end_ns;
            if (d->tx_end_ns > 0.0 && gap > 0.0 && gap < IDLE_SPAN_NS)
            {
                d->c.idle_ns += (uint64_t)gap;
                if (gap >= 1e6)
                    d->c.idle_gaps_1ms++;
            }
            /* Backlog ahead of this packet, in bytes still to be sent; tail drop when it would not fit. */
            double backlog = (start - (double)now) / d->ns_per_byte;
            if (backlog + (double)n > (double)d->queue_bytes)
            {
                d->c.queue_drop++;
                continue;
            }
            d->tx_end_ns = start + (double)n * d->ns_per_byte;
            depart = d->tx_end_ns;
        }
        else
        {
            depart = (double)now;
        }
        uint64_t release = (uint64_t)depart + d->delay_ns;
        /* FIFO: never release before the packet ahead of it (rounding only). */
        if (d->count > 0)
        {
            uint32_t prev = tail == 0 ? d->nslots - 1 : tail - 1;
            if (release < d->slots[prev].release_ns)
            {
                release = d->slots[prev].release_ns;
            }
        }
        d->slots[tail].release_ns = release;
        d->slots[tail].len = (uint32_t)n;
        d->count++;
    }
}

int main(int argc, char **argv)
{
    const char *name_a = NULL, *name_b = NULL, *ns_a = NULL, *ns_b = NULL;
    double delay = 0, loss = 0, rate = 0;
    long long queue = -1, seed = 1, slots = 0;
    /* per-direction overrides; NAN-free sentinel: -1 = not given */
    double dir_delay[2] = {-1, -1}, dir_loss[2] = {-1, -1}, dir_rate[2] = {-1, -1};
    long long dir_queue[2] = {-1, -1};

    for (int i = 1; i < argc; i++)
    {
        const char *o = argv[i];
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0)
        {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc)
        {
            fprintf(stderr, "wanem: %s needs a value (see --help)\n", o);
            return 2;
        }
        const char *v = argv[++i];
        int dir = strncmp(o, "--ab-", 5) == 0 ? 0 : (strncmp(o, "--ba-", 5) == 0 ? 1 : -1);
        const char *key = dir >= 0 ? o + 5 : (strncmp(o, "--", 2) == 0 ? o + 2 : o);
        if (dir < 0 && strcmp(key, "a") == 0)
        {
            name_a = v;
        }
        else if (dir < 0 && strcmp(key, "b") == 0)
        {
            name_b = v;
        }
        else if (dir < 0 && strcmp(key, "a-netns") == 0)
        {
            ns_a = v;
        }
        else if (dir < 0 && strcmp(key, "b-netns") == 0)
        {
            ns_b = v;
        }
        else if (dir < 0 && strcmp(key, "seed") == 0)
        {
            seed = parse_ll(o, v, 0, LLONG_MAX);
        }
        else if (dir < 0 && strcmp(key, "mtu") == 0)
        {
            mtu = (uint32_t)parse_ll(o, v, MIN_MTU, MAX_MTU);
        }
        else if (dir < 0 && strcmp(key, "slots") == 0)
        {
            slots = parse_ll(o, v, MIN_SLOTS, MAX_SLOTS);
        }
        else if (strcmp(key, "delay-ms") == 0)
        {
            double x = parse_double(o, v, 0, MAX_DELAY_MS);
            *(dir < 0 ? &delay : &dir_delay[dir]) = x;
        }
        else if (strcmp(key, "loss") == 0)
        {
            double x = parse_double(o, v, 0, 100);
            *(dir < 0 ? &loss : &dir_loss[dir]) = x;
        }
        else if (strcmp(key, "rate-mbit") == 0)
        {
            double x = parse_double(o, v, 0, MAX_RATE_MBIT);
            *(dir < 0 ? &rate : &dir_rate[dir]) = x;
        }
        else if (strcmp(key, "queue-bytes") == 0)
        {
            long long x = parse_ll(o, v, 1, 1ll << 30);
            *(dir < 0 ? &queue : &dir_queue[dir]) = x;
        }
        else
        {
            fprintf(stderr, "wanem: unknown option %s (see --help)\n", o);
            return 2;
        }
    }
    if (name_a == NULL || name_b == NULL)
    {
        fprintf(stderr, "wanem: --a and --b are required (see --help)\n");
        return 2;
    }
    if (strlen(name_a) >= IFNAMSIZ || strlen(name_b) >= IFNAMSIZ)
    {
        fprintf(stderr, "wanem: device names have at most %d characters\n", IFNAMSIZ - 1);
        return 2;
    }

    struct direction d[2];
    memset(d, 0, sizeof d);
    d[0].name = "ab";
    d[1].name = "ba";
    for (int k = 0; k < 2; k++)
    {
        d[k].delay_ms = dir_delay[k] >= 0 ? dir_delay[k] : delay;
        d[k].loss_pct = dir_loss[k] >= 0 ? dir_loss[k] : loss;
        d[k].rate_mbit = dir_rate[k] >= 0 ? dir_rate[k] : rate;
        d[k].queue_bytes = dir_queue[k] >= 0 ? dir_queue[k] : queue;
        /* Distinct, seed-derived streams per direction. */
        uint64_t s = (uint64_t)seed ^ (k == 0 ? 0x6162ull : 0x6261ull) << 48;
        setup_direction(&d[k], splitmix64(&s), (uint32_t)slots);
    }
    uint8_t *scratch = malloc(mtu);
    if (scratch == NULL)
    {
        die("scratch allocation");
    }

    /* Precise wake-ups: the default 50 us slack would add jitter at 17 kpps. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    int home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_ns < 0)
    {
        die("/proc/self/ns/net");
    }
    int fd_a = open_tun(name_a, ns_a, home_ns);
    int fd_b = open_tun(name_b, ns_b, home_ns);
    close(home_ns);
    d[0].in_fd = fd_a;
    d[0].out_fd = fd_b;
    d[1].in_fd = fd_b;
    d[1].out_fd = fd_a;

    /* Signals are blocked except inside ppoll, so a flag can never be missed between check and sleep. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &block, &waitmask) != 0)
    {
        die("sigprocmask");
    }
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGHUP);
    sigdelset(&waitmask, SIGUSR1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    printf("wanem ready a=%s b=%s\n", name_a, name_b);
    fflush(stdout);
    print_stats(d, 2);

    struct pollfd pfd[2] = {{.fd = fd_a, .events = POLLIN}, {.fd = fd_b, .events = POLLIN}};
    while (!stop_signal)
    {
        if (stats_wanted)
        {
            stats_wanted = 0;
            print_stats(d, 2);
        }
        uint64_t now = now_ns();
        uint64_t next0 = release_due(&d[0], now);
        uint64_t next1 = release_due(&d[1], now);
        uint64_t next = next0 < next1 ? next0 : next1;
        struct timespec ts, *tsp = NULL;
        if (next != UINT64_MAX)
        {
            now = now_ns();
            if (next <= now)
            {
                continue;
            }
            uint64_t wait = next - now;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            tsp = &ts;
        }
        int r = ppoll(pfd, 2, tsp, &waitmask);
        if (r < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            die("ppoll");
        }
        for (int k = 0; k < 2; k++)
        {
            if (pfd[k].revents & (POLLERR | POLLNVAL | POLLHUP))
            {
                fprintf(stderr, "wanem: device %s failed (revents 0x%x)\n", k == 0 ? name_a : name_b,
                    (unsigned)pfd[k].revents);
                print_stats(d, 2);
                return 1;
            }
            if (pfd[k].revents & POLLIN)
            {
                read_burst(&d[k], scratch);
            }
        }
    }
    print_stats(d, 2);
    close(fd_a);
    close(fd_b);
    for (int k = 0; k < 2; k++)
    {
        free(d[k].slots);
        free(d[k].data);
    }
    free(scratch);
    return 0;
}
