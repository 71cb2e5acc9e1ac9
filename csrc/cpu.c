/* CPU feature detection and the choice of micro-kernels, made once. An
 * instruction set is usable only when the CPU has it and the OS saves its
 * registers on context switches (XCR0), hence cpuid and xgetbv. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

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

enum { CAN_AVX2 = 1, CAN_AVX512 = 2 };

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
    const int avx2 = (r[1] >> 5) & 1;
    const int avx512f = (r[1] >> 16) & 1, avx512dq = (r[1] >> 17) & 1;
    const int avx512bw = (r[1] >> 30) & 1, avx512vl = (r[1] >> 31) & 1;
    int caps = 0;
    if (os_ymm && avx2 && fma) caps |= CAN_AVX2;
    if ((caps & CAN_AVX2) && os_zmm && avx512f && avx512dq && avx512bw && avx512vl) caps |= CAN_AVX512;
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
