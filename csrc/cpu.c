/* CPU feature detection and the choice of micro-kernels, made once. An
 * instruction set is usable only when the CPU has it and the OS saves its
 * registers on context switches (XCR0), hence cpuid and xgetbv. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "testing.h"

#if defined(__x86_64__) || defined(_M_X64)
#define FM_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    for (int i = 0; i < 4; i++) r[i] = (unsigned)v[i];
}
static unsigned long long xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

enum { CAN_AVX2 = 1, CAN_AVX512 = 2, CAN_VNNI = 4, CAN_BF16 = 8 };

static int x86_capabilities(void)
{
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    if (max_leaf < 7) return 0;
    cpuid(1, 0, r);
    const int fma = (r[2] >> 12) & 1, osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const unsigned long long xcr0 = xgetbv0();
    const int os_ymm = (xcr0 & 0x6) == 0x6;            /* SSE and AVX state */
    const int os_zmm = (xcr0 & 0xe6) == 0xe6;          /* + opmask, ZMM_Hi256, Hi16_ZMM */
    cpuid(7, 0, r);
    const unsigned max_subleaf = r[0];
    const int avx2 = (r[1] >> 5) & 1;
    const int avx512f = (r[1] >> 16) & 1, avx512dq = (r[1] >> 17) & 1;
    const int avx512bw = (r[1] >> 30) & 1, avx512vl = (r[1] >> 31) & 1;
    const int avx512vnni = (r[2] >> 11) & 1;
    int avx512bf16 = 0;
    if (max_subleaf >= 1) {
        cpuid(7, 1, r);
        avx512bf16 = (r[0] >> 5) & 1;
    }
    int caps = 0;
    if (os_ymm && avx2 && fma) caps |= CAN_AVX2;
    if ((caps & CAN_AVX2) && os_zmm && avx512f && avx512dq && avx512bw && avx512vl) caps |= CAN_AVX512;
    if ((caps & CAN_AVX512) && avx512vnni) caps |= CAN_VNNI;
    if ((caps & CAN_VNNI) && avx512bf16) caps |= CAN_BF16; /* every CPU with it has VNNI */
    return caps;
}
#endif

static const fm_isa_table *current;
static const fm_isa_table *detected;
static char requested[32];

static const fm_isa_table *best_supported(void)
{
#ifdef FM_X86
    const int caps = x86_capabilities();
    if (caps & CAN_BF16) return &fm_isa_avx512_bf16;
    if (caps & CAN_VNNI) return &fm_isa_avx512_vnni;
    if (caps & CAN_AVX512) return &fm_isa_avx512;
    if (caps & CAN_AVX2) return &fm_isa_avx2;
#endif
    return &fm_isa_generic;
}

/* The table called `name` if this CPU can run it, else NULL. */
static const fm_isa_table *supported_by_name(const char *name)
{
    if (strcmp(name, "generic") == 0) return &fm_isa_generic;
#ifdef FM_X86
    const int caps = x86_capabilities();
    if (strcmp(name, "avx2") == 0 && (caps & CAN_AVX2)) return &fm_isa_avx2;
    if (strcmp(name, "avx512") == 0 && (caps & CAN_AVX512)) return &fm_isa_avx512;
    if (strcmp(name, "avx512_vnni") == 0 && (caps & CAN_VNNI)) return &fm_isa_avx512_vnni;
    if (strcmp(name, "avx512_bf16") == 0 && (caps & CAN_BF16)) return &fm_isa_avx512_bf16;
#endif
    return NULL;
}

int fm_init(void)
{
    fm_config_init();
    detected = best_supported();
    current = detected;
    requested[0] = '\0';
    const char *env = getenv("FASTMLP_ISA");
    if (!env || !*env) return 0;
    size_t i = 0;
    for (; env[i] && i + 1 < sizeof requested; i++) requested[i] = (char)tolower((unsigned char)env[i]);
    requested[i] = '\0';
    const fm_isa_table *forced = supported_by_name(requested);
    if (!forced) return -1;
    current = forced;
    return 0;
}

const fm_isa_table *fm_isa(void)
{
    if (!current) fm_init();
    return current;
}

int fm_isa_force(const char *name)
{
    const fm_isa_table *t = supported_by_name(name);
    if (!t) return -1;
    current = t;
    return 0;
}

const char *fm_isa_name(void) { return fm_isa()->name; }

const char *fm_isa_detected(void)
{
    if (!detected) fm_init();
    return detected->name;
}

const char *fm_isa_requested(void) { return requested; }

/* bfloat16 kernels: the table's, or the emulated ones for tests. */
static int bf16_emulation;

int fm_bf16_emulation(int enable)
{
    const int previous = bf16_emulation;
    bf16_emulation = enable != 0;
    return previous;
}

const fm_bf16_kernels *fm_bf16(void)
{
    const fm_bf16_kernels *k = fm_isa()->bf16;
    return k ? k : (bf16_emulation ? &fm_bf16_emulated : NULL);
}

int fm_bf16_supported(void) { return fm_bf16() != NULL; }

const char *fm_bf16_kernels_name(void)
{
    const fm_bf16_kernels *k = fm_bf16();
    return k ? k->name : "";
}

const char *fm_s8_kernels_name(void) { return fm_isa()->s8->name; }
