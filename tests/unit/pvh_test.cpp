#include <elf.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "boot_test_util.h"
#include "machine/boot/kernel_loader.h"
#include "machine/boot/le_bytes.h"
#include "machine/boot/low_memory.h"
#include "machine/boot/pvh.h"

using namespace vireo;

namespace {

constexpr uint64_t k_paddr = 0x1000000;
constexpr uint64_t k_entry = 0x1000040;

void append_note(std::vector<uint8_t>& notes, const char* name, uint32_t type, std::span<const uint8_t> desc)
{
    const uint32_t name_size = static_cast<uint32_t>(std::strlen(name) + 1);
    auto put32 = [&](uint32_t value) {
        for (int i = 0; i < 4; ++i)
            notes.push_back(static_cast<uint8_t>(value >> (8 * i)));
    };
    put32(name_size);
    put32(static_cast<uint32_t>(desc.size()));
    put32(type);
    notes.insert(notes.end(), name, name + name_size);
    notes.resize((notes.size() + 3) & ~size_t(3));
    notes.insert(notes.end(), desc.begin(), desc.end());
    notes.resize((notes.size() + 3) & ~size_t(3));
}

// An ELF64 image: one PT_LOAD (0x100 bytes of file data, 0x2000 in memory) and a PT_NOTE
// holding an unrelated note followed, optionally, by the PVH entry note.
std::vector<uint8_t> fake_elf(bool with_pvh_note = true)
{
    std::vector<uint8_t> notes;
    const uint8_t gnu_desc[4] = { 1, 2, 3, 4 };
    append_note(notes, "GNU", 3, gnu_desc);
    if (with_pvh_note) {
        uint8_t entry[8];
        store_le<uint64_t>(entry, 0, k_entry);
        append_note(notes, "Xen", k_xen_elfnote_phys32_entry, entry);
    }

    const size_t phoff = sizeof(Elf64_Ehdr);
    const size_t notes_offset = phoff + 2 * sizeof(Elf64_Phdr);
    const size_t load_offset = 0x1000;
    std::vector<uint8_t> image(load_offset + 0x100);

    Elf64_Ehdr header {};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = ET_EXEC;
    header.e_machine = EM_X86_64;
    header.e_version = EV_CURRENT;
    header.e_entry = 0xffffffff81000000;
    header.e_phoff = phoff;
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_phentsize = sizeof(Elf64_Phdr);
    header.e_phnum = 2;
    std::memcpy(image.data(), &header, sizeof header);

    Elf64_Phdr load {};
    load.p_type = PT_LOAD;
    load.p_offset = load_offset;
    load.p_vaddr = 0xffffffff81000000;
    load.p_paddr = k_paddr;
    load.p_filesz = 0x100;
    load.p_memsz = 0x2000;
    Elf64_Phdr note {};
    note.p_type = PT_NOTE;
    note.p_offset = notes_offset;
    note.p_filesz = notes.size();
    std::memcpy(image.data() + phoff, &load, sizeof load);
    std::memcpy(image.data() + phoff + sizeof load, &note, sizeof note);
    std::memcpy(image.data() + notes_offset, notes.data(), notes.size());
    for (size_t i = 0; i < 0x100; ++i)
        image[load_offset + i] = static_cast<uint8_t>(0x80 + i);
    return image;
}

} // namespace

TEST(Pvh, FindsEntryNoteAfterOtherNotes)
{
    EXPECT_EQ(find_pvh_entry(fake_elf()).value(), k_entry);
}

TEST(Pvh, ElfWithoutNoteIsRefused)
{
    auto result = find_pvh_entry(fake_elf(false));
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("PVH"), std::string::npos);
}

TEST(Pvh, LoadsSegmentsAndWritesStartInfo)
{
    auto guest = test::make_test_guest(64ULL << 20);
    ASSERT_TRUE(guest.memory.write_obj<uint8_t>(k_paddr + 0x1000, 0xee)); // must be zeroed (bss)
    std::vector<uint8_t> initrd(5000, 0x11);

    auto setup = load_pvh_elf(guest.memory, fake_elf(), initrd, "root=/dev/vda", guest.layout.e820, 0xe0100).value();

    EXPECT_EQ(setup.mode, BootMode::Protected32);
    EXPECT_EQ(setup.entry, k_entry);
    EXPECT_EQ(setup.boot_info_address, boot::k_pvh_start_info_address);
    EXPECT_EQ(guest.memory.read_obj<uint8_t>(k_paddr + 5).value(), 0x85);
    EXPECT_EQ(guest.memory.read_obj<uint8_t>(k_paddr + 0x1000).value(), 0);

    std::vector<uint8_t> info(56);
    ASSERT_TRUE(guest.memory.read(boot::k_pvh_start_info_address, info));
    EXPECT_EQ(load_le<uint32_t>(info, 0), k_hvm_start_magic);
    EXPECT_EQ(load_le<uint32_t>(info, 4), 1u);                    // version
    EXPECT_EQ(load_le<uint32_t>(info, 12), 1u);                   // nr_modules
    EXPECT_EQ(load_le<uint64_t>(info, 16), boot::k_pvh_modlist_address);
    EXPECT_EQ(load_le<uint64_t>(info, 24), boot::k_cmdline_address);
    EXPECT_EQ(load_le<uint64_t>(info, 32), 0xe0100u);             // rsdp
    EXPECT_EQ(load_le<uint64_t>(info, 40), boot::k_pvh_memmap_address);
    EXPECT_EQ(load_le<uint32_t>(info, 48), 3u);

    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pvh_modlist_address).value(), setup.initrd_address);
    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pvh_modlist_address + 8).value(), 5000u);
    EXPECT_EQ(setup.initrd_address, (64u << 20) - 0x2000);
    // memmap entry 2: RAM from 1 MiB
    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pvh_memmap_address + 48).value(), 0x100000u);
    EXPECT_EQ(guest.memory.read_obj<uint32_t>(boot::k_pvh_memmap_address + 64).value(), 1u);
}

TEST(Pvh, RefusesSegmentOutsideRam)
{
    auto guest = test::make_test_guest(16ULL << 20); // 0x1000000 is just past the end
    auto result = load_pvh_elf(guest.memory, fake_elf(), {}, "", guest.layout.e820, 0);
    ASSERT_FALSE(result);
}

TEST(Pvh, RefusesSegmentBeyondTheFile)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto image = fake_elf();
    image.resize(0x1080); // the PT_LOAD data is cut short
    EXPECT_FALSE(load_pvh_elf(guest.memory, image, {}, "", guest.layout.e820, 0));
}

TEST(Pvh, RefusesMalformedNote)
{
    auto image = fake_elf();
    // namesz of the first note made huge
    const size_t notes_offset = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    store_le<uint32_t>(image, notes_offset, 0xfffffff0);
    EXPECT_FALSE(find_pvh_entry(image));
}

TEST(KernelLoader, DispatchesElfToPvh)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto setup = load_kernel(guest.memory, "vmlinux", fake_elf(), {}, "", guest.layout.e820, 0);
    ASSERT_TRUE(setup) << setup.error().message;
    EXPECT_EQ(setup->mode, BootMode::Protected32);
}
