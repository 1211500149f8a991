// Linked into the NativeAOT binary (Tallow.Cli.csproj, target CompileNativeStartup). Before the
// runtime starts, one madvise(MADV_POPULATE_WRITE) maps the binary's zero-initialised data in a
// single system call: about 2.8 MB, most of it the runtime's .hydrated section, which the runtime
// fills first thing (RehydrateData). Without it, that is ~700 separate page faults, each of them
// costly on a virtual machine: measured here, `tallow --version` 21.7 -> 18.5 ms, and
// `send --text` end to end about 5 ms faster (two processes start on its path). Kernels before
// 5.14 do not know the advice and refuse it; the pages are then faulted in as before.
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int populate_main_program_bss(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const uintptr_t page = 4096;
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_W) || segment->p_memsz <= segment->p_filesz)
        {
            continue;
        }

        // Whole pages past the file-backed part: the anonymous zero pages of .bss and .hydrated.
        uintptr_t start = (info->dlpi_addr + segment->p_vaddr + segment->p_filesz + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + segment->p_vaddr + segment->p_memsz + page - 1) & ~(page - 1);
        if (end > start)
        {
            madvise((void *)start, end - start, MADV_POPULATE_WRITE);
        }
    }

    return 1; // the first object listed is the program itself: done
}

__attribute__((constructor)) static void tallow_populate_bss(void)
{
    dl_iterate_phdr(populate_main_program_bss, NULL);
}
