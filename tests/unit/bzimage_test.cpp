#include <cstring>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "boot_test_util.h"
#include "machine/boot/bzimage.h"
#include "machine/boot/kernel_loader.h"
#include "machine/boot/le_bytes.h"
#include "machine/boot/low_memory.h"

using namespace vireo;

namespace {

constexpr uint64_t k_load = 0x1000000;
constexpr size_t k_setup_bytes = 5 * 512; // setup_sects = 4

// A bzImage with a valid setup header (protocol 2.15) and a recognisable protected-mode part.
std::vector<uint8_t> fake_bzimage(uint16_t protocol = 0x020f, uint16_t xloadflags = 0x3)
{
    std::vector<uint8_t> image(k_setup_bytes + 0x1000);
    image[0x1f1] = 4;
    store_le<uint16_t>(image, 0x1fe, 0xAA55);
    image[0x200] = 0xeb;
    image[0x201] = 0x66; // header ends at 0x268
    std::memcpy(image.data() + 0x202, "HdrS", 4);
    store_le<uint16_t>(image, 0x206, protocol);
    image[0x211] = 0x01 | 0x20; // LOADED_HIGH | QUIET_FLAG
    store_le<uint32_t>(image, 0x22c, 0x7fffffff);
    store_le<uint32_t>(image, 0x230, 0x200000);
    image[0x234] = 1;
    store_le<uint16_t>(image, 0x236, xloadflags);
    store_le<uint32_t>(image, 0x238, 255);
    store_le<uint64_t>(image, 0x258, k_load);
    store_le<uint32_t>(image, 0x260, 0x400000);
    for (size_t i = k_setup_bytes; i < image.size(); ++i)
        image[i] = static_cast<uint8_t>(i * 7);
    return image;
}

std::vector<uint8_t> read_boot_params(const GuestMemory& memory)
{
    std::vector<uint8_t> params(boot::k_boot_params_size);
    EXPECT_TRUE(memory.read(boot::k_boot_params_address, params));
    return params;
}

} // namespace

TEST(BzImage, FillsBootParams)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto image = fake_bzimage();
    std::vector<uint8_t> initrd(10000, 0x5a);

    auto setup = load_bzimage(guest.memory, image, initrd, "console=ttyS0", guest.layout.e820, 0xe0040).value();

    EXPECT_EQ(setup.mode, BootMode::Long64);
    EXPECT_EQ(setup.entry, k_load + 0x200);
    EXPECT_EQ(setup.boot_info_address, boot::k_boot_params_address);
    auto params = read_boot_params(guest.memory);
    EXPECT_EQ(load_le<uint32_t>(params, 0x202), 0x53726448u); // header copied
    EXPECT_EQ(load_le<uint16_t>(params, 0x206), 0x020fu);
    EXPECT_EQ(params[0x210], 0xff);                            // type_of_loader
    EXPECT_EQ(params[0x211], 0x01 | 0x80);                     // QUIET cleared, CAN_USE_HEAP set
    EXPECT_EQ(load_le<uint32_t>(params, 0x228), boot::k_cmdline_address);
    EXPECT_EQ(load_le<uint64_t>(params, 0x070), 0xe0040u);     // acpi_rsdp_addr
    // initrd: the highest page below the end of RAM
    EXPECT_EQ(load_le<uint32_t>(params, 0x218), (64u << 20) - 0x3000);
    EXPECT_EQ(load_le<uint32_t>(params, 0x21c), 10000u);
    EXPECT_EQ(guest.memory.read_obj<uint8_t>((64u << 20) - 0x3000).value(), 0x5a);
    // e820
    ASSERT_EQ(params[0x1e8], 3);
    EXPECT_EQ(load_le<uint64_t>(params, 0x2d0 + 2 * 20), 0x100000u);
    EXPECT_EQ(load_le<uint64_t>(params, 0x2d0 + 2 * 20 + 8), (64u << 20) - 0x100000);
    EXPECT_EQ(load_le<uint32_t>(params, 0x2d0 + 2 * 20 + 16), 1u);
    // kernel and command line in place
    EXPECT_EQ(guest.memory.read_obj<uint8_t>(k_load + 1).value(), static_cast<uint8_t>((k_setup_bytes + 1) * 7));
    char cmdline[14] {};
    ASSERT_TRUE(guest.memory.read(boot::k_cmdline_address, std::span(reinterpret_cast<uint8_t*>(cmdline), 14)));
    EXPECT_STREQ(cmdline, "console=ttyS0");
}

TEST(BzImage, InitrdStaysBelowInitrdAddrMax)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto image = fake_bzimage();
    store_le<uint32_t>(image, 0x22c, 0x1ffffff); // 32 MiB - 1
    std::vector<uint8_t> initrd(0x1800);

    auto setup = load_bzimage(guest.memory, image, initrd, "", guest.layout.e820, 0).value();

    EXPECT_EQ(setup.initrd_address, 0x2000000u - 0x2000);
    EXPECT_LE(setup.initrd_address + setup.initrd_size, 0x2000000u);
    EXPECT_GE(setup.initrd_address, setup.kernel_end);
}

TEST(BzImage, RejectsInitrdThatDoesNotFit)
{
    auto guest = test::make_test_guest(32ULL << 20);
    auto image = fake_bzimage();
    std::vector<uint8_t> initrd(13ULL << 20); // kernel occupies 16-20 MiB; 13 MiB do not fit above it

    auto result = load_bzimage(guest.memory, image, initrd, "", guest.layout.e820, 0);

    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("initrd"), std::string::npos);
}

TEST(BzImage, RejectsTooLongCommandLine)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto image = fake_bzimage();
    std::string cmdline(256, 'x'); // cmdline_size is 255

    auto result = load_bzimage(guest.memory, image, {}, cmdline, guest.layout.e820, 0);

    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("command line"), std::string::npos);
    EXPECT_TRUE(load_bzimage(guest.memory, image, {}, std::string(255, 'x'), guest.layout.e820, 0));
}

TEST(BzImage, RejectsOldProtocolAnd32BitOnlyKernels)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto old = load_bzimage(guest.memory, fake_bzimage(0x020a), {}, "", guest.layout.e820, 0);
    ASSERT_FALSE(old);
    EXPECT_NE(old.error().message.find("too old"), std::string::npos);
    EXPECT_FALSE(load_bzimage(guest.memory, fake_bzimage(0x020f, 0), {}, "", guest.layout.e820, 0));
}

TEST(BzImage, RejectsKernelThatDoesNotFitInRam)
{
    auto guest = test::make_test_guest(16ULL << 20); // the kernel wants 16 MiB + 4 MiB
    auto result = load_bzimage(guest.memory, fake_bzimage(), {}, "", guest.layout.e820, 0);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("more memory"), std::string::npos);
}

TEST(BzImage, TruncatedImageIsNotAKernel)
{
    auto image = fake_bzimage();
    EXPECT_FALSE(parse_bzimage_header(std::span(image).first(0x100)));
    EXPECT_FALSE(parse_bzimage_header(std::span(image).first(0x268))); // header only, no kernel
}

TEST(KernelLoader, NamesTheFileWhenItIsNotAKernel)
{
    auto guest = test::make_test_guest(64ULL << 20);
    std::vector<uint8_t> junk(4096, 0x42);

    auto result = load_kernel(guest.memory, "/tmp/junk", junk, {}, "", guest.layout.e820, 0);

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, "/tmp/junk: not a Linux kernel image (neither bzImage nor ELF)");
}

TEST(KernelLoader, DispatchesBzImage)
{
    auto guest = test::make_test_guest(64ULL << 20);
    auto setup = load_kernel(guest.memory, "vmlinuz", fake_bzimage(), {}, "", guest.layout.e820, 0);
    ASSERT_TRUE(setup) << setup.error().message;
    EXPECT_EQ(setup->mode, BootMode::Long64);
}

TEST(BzImage, RealDebianKernelHeaderParses)
{
    const std::string path = "/work/main/.cache/guest/vmlinuz";
    if (!std::filesystem::exists(path))
        GTEST_SKIP() << path << " is absent";
    auto image = read_whole_file(path).value();

    auto header = parse_bzimage_header(image);

    ASSERT_TRUE(header) << header.error().message;
    EXPECT_GE(header->protocol, 0x020c);
    EXPECT_TRUE(header->xloadflags & 1);
    EXPECT_GT(header->init_size, 0u);

    std::vector<uint8_t> initrd;
    if (std::filesystem::exists("/work/main/.cache/guest/initrd.gz"))
        initrd = read_whole_file("/work/main/.cache/guest/initrd.gz").value();
    auto guest = test::make_test_guest(256ULL << 20);
    auto setup = load_kernel(guest.memory, path, image, initrd, "console=ttyS0", guest.layout.e820, 0xe0000);
    ASSERT_TRUE(setup) << setup.error().message;
    EXPECT_EQ(setup->mode, BootMode::Long64);
    EXPECT_EQ(setup->entry, header->pref_address + 0x200);
    EXPECT_GE(setup->initrd_address, setup->kernel_end);
    EXPECT_LE(setup->initrd_address + setup->initrd_size, 256ULL << 20);
}
