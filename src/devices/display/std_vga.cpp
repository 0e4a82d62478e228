#include "devices/display/std_vga.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace vireo {

namespace {

constexpr PciIds k_ids {
    .vendor = 0x1234,
    .device = 0x1111,
    .class_code = 0x03'00'00, // display controller, VGA-compatible
    .revision = 2,
    .subsystem_vendor = 0x1af4,
    .subsystem = 0x1100,
};

constexpr uint64_t k_qemu_ext_size = 8;
// Blink periods: the cursor toggles every 16 frames and blinking text every 32 at about 60 Hz.
constexpr uint64_t k_cursor_period_ms = 266;
constexpr uint64_t k_text_blink_period_ms = 533;
constexpr uint32_t k_blank_width = 640;
constexpr uint32_t k_blank_height = 480;

uint64_t little_value(std::span<const uint8_t> data)
{
    uint64_t value = 0;
    for (size_t i = 0; i < data.size() && i < 8; ++i)
        value |= uint64_t { data[i] } << (8 * i);
    return value;
}

void put_little(std::span<uint8_t> data, uint64_t value)
{
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = i < 8 ? static_cast<uint8_t>(value >> (8 * i)) : 0;
}

} // namespace

// A range of the VGA's ports (the legacy block, the DISPI pair) on the PIO bus: offsets become
// port numbers again for port_read/port_write.
class StdVga::Ports final : public BusDevice {
public:
    Ports(StdVga& vga, uint16_t base)
        : m_vga(vga)
        , m_base(base)
    {
    }
    void read(uint64_t offset, std::span<uint8_t> data) override
    {
        m_vga.port_read(static_cast<uint16_t>(m_base + offset), data);
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override
    {
        m_vga.port_write(static_cast<uint16_t>(m_base + offset), data);
    }

private:
    StdVga& m_vga;
    uint16_t m_base;
};

class StdVga::Window final : public BusDevice {
public:
    explicit Window(StdVga& vga)
        : m_vga(vga)
    {
    }
    void read(uint64_t offset, std::span<uint8_t> data) override { m_vga.window_read(offset, data); }
    void write(uint64_t offset, std::span<const uint8_t> data) override { m_vga.window_write(offset, data); }

private:
    StdVga& m_vga;
};

Result<std::shared_ptr<StdVga>> StdVga::create(MemorySlots& slots, DirtyLog& dirty_log, StdVgaConfig config)
{
    const uint64_t size = config.vram_size;
    if (size < (1 << 20) || size > (256ULL << 20) || (size & (size - 1)))
        return make_error("VGA memory of {} bytes: it must be a power of two from 1 to 256 MiB", size);
    int fd = ::memfd_create("vireo-vram", MFD_CLOEXEC);
    if (fd < 0)
        return errno_error("memfd_create for video memory");
    UniqueFd vram_fd(fd);
    if (::ftruncate(fd, static_cast<off_t>(size)) < 0)
        return errno_error("cannot size video memory to {} MiB", size >> 20);
    auto vram = TRY(Mapping::map(size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd));
    ::madvise(vram.data(), size, MADV_DONTDUMP);
    return std::shared_ptr<StdVga>(new StdVga(slots, dirty_log, std::move(vram_fd), std::move(vram), std::move(config.rom)));
}

StdVga::StdVga(MemorySlots& slots, DirtyLog& dirty_log, UniqueFd fd, Mapping vram, std::vector<uint8_t> rom)
    : PciDevice(k_ids)
    , m_slots(slots)
    , m_dirty_log(dirty_log)
    , m_vram_fd(std::move(fd))
    , m_vram(std::move(vram))
    , m_written(m_vram.size())
    , m_memory(std::span(m_vram.data(), m_vram.size()), m_registers, m_written)
    , m_dispi(m_vram.size())
    , m_log_words(m_written.words().size())
{
    add_bar(k_framebuffer_bar, BarKind::Memory32, m_vram.size(), true);
    add_bar(k_mmio_bar, BarKind::Memory32, k_mmio_size);
    if (!rom.empty())
        add_rom(std::move(rom));
    m_vga_ports = std::make_shared<Ports>(*this, vga::k_port_base);
    m_dispi_ports = std::make_shared<Ports>(*this, dispi::k_index_port);
    m_legacy_window = std::make_shared<Window>(*this);
}

StdVga::~StdVga()
{
    std::lock_guard guard(m_lock);
    if (m_framebuffer_slot)
        m_slots.unmap_slot(*m_framebuffer_slot);
}

// ---- Ports ------------------------------------------------------------------------------

uint8_t StdVga::read_vga_port_locked(uint16_t port)
{
    return m_registers.read(port);
}

void StdVga::write_vga_port_locked(uint16_t port, uint8_t value)
{
    m_registers.write(port, value);
}

uint16_t StdVga::read_dispi_locked(uint16_t index)
{
    return m_dispi.read(index);
}

void StdVga::write_dispi_locked(uint16_t index, uint16_t value)
{
    auto effect = m_dispi.write(index, value);
    if (effect.clear_bytes) {
        const uint64_t bytes = std::min<uint64_t>(effect.clear_bytes, m_vram.size());
        std::memset(m_vram.data(), 0, bytes);
        m_written.mark(0, bytes);
    }
    if (effect.mode_changed) {
        m_registers.set_dac_8bit(m_dispi.mode().enabled && m_dispi.mode().dac_8bit);
        m_redraw = true;
    }
}

void StdVga::port_read(uint16_t port, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (port >= dispi::k_index_port && port < dispi::k_index_port + k_dispi_port_count) {
        // 0x1ce: the index; 0x1cf (and 0x1d0): the data register; 16 bits wide.
        uint16_t value = port == dispi::k_index_port ? m_dispi.index() : read_dispi_locked(m_dispi.index());
        put_little(data.first(std::min<size_t>(data.size(), 2)), value);
        std::fill(data.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(data.size(), 2)), data.end(), 0);
        return;
    }
    // A wider access to the VGA ports is one byte per port, as the ISA bus splits it.
    for (size_t i = 0; i < data.size(); ++i) {
        uint16_t at = static_cast<uint16_t>(port + i);
        data[i] = at >= vga::k_port_base && at < vga::k_port_base + vga::k_port_count ? read_vga_port_locked(at) : 0xff;
    }
}

void StdVga::port_write(uint16_t port, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (port >= dispi::k_index_port && port < dispi::k_index_port + k_dispi_port_count) {
        auto value = static_cast<uint16_t>(little_value(data.first(std::min<size_t>(data.size(), 2))));
        if (port == dispi::k_index_port)
            m_dispi.set_index(value);
        else
            write_dispi_locked(m_dispi.index(), value);
        return;
    }
    for (size_t i = 0; i < data.size(); ++i) {
        uint16_t at = static_cast<uint16_t>(port + i);
        if (at >= vga::k_port_base && at < vga::k_port_base + vga::k_port_count)
            write_vga_port_locked(at, data[i]);
    }
}

// ---- The legacy window --------------------------------------------------------------------

void StdVga::window_read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    const auto bank = m_dispi.bank_base();
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = m_memory.read(offset + i, bank);
}

void StdVga::window_write(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    const auto bank = m_dispi.bank_base();
    for (size_t i = 0; i < data.size(); ++i)
        m_memory.write(offset + i, data[i], bank);
}

// ---- BARs ---------------------------------------------------------------------------------

void StdVga::bar_read(int bar, uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0xff);
    std::lock_guard guard(m_lock);
    if (bar == k_framebuffer_bar) {
        // Only when the slot could not be mapped (the BAR overlaps another slot).
        if (offset < m_vram.size() && data.size() <= m_vram.size() - offset)
            std::memcpy(data.data(), m_vram.data() + offset, data.size());
        return;
    }
    if (bar != k_mmio_bar)
        return;
    if (offset < k_mmio_vga_ports) {
        std::ranges::fill(data, 0); // no EDID blob
    } else if (offset < k_mmio_vga_ports + 0x20) {
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t at = offset - k_mmio_vga_ports + i;
            data[i] = at < 0x20 ? read_vga_port_locked(static_cast<uint16_t>(0x3c0 + at)) : 0xff;
        }
    } else if (offset >= k_mmio_dispi && offset < k_mmio_dispi + 2 * dispi::k_register_count) {
        const uint64_t reg = offset - k_mmio_dispi;
        if (data.size() == 2 && reg % 2 == 0)
            put_little(data, read_dispi_locked(static_cast<uint16_t>(reg / 2)));
        else if (data.size() == 1)
            data[0] = static_cast<uint8_t>(read_dispi_locked(static_cast<uint16_t>(reg / 2)) >> (8 * (reg % 2)));
    } else if (offset >= k_mmio_qemu_ext && offset < k_mmio_qemu_ext + k_qemu_ext_size) {
        const uint64_t reg = offset - k_mmio_qemu_ext;
        if (data.size() == 4 && reg == 0)
            put_little(data, k_qemu_ext_size);
        else if (data.size() == 4 && reg == 4)
            put_little(data, m_byte_order);
    }
}

void StdVga::bar_write(int bar, uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (bar == k_framebuffer_bar) {
        if (offset < m_vram.size() && data.size() <= m_vram.size() - offset) {
            std::memcpy(m_vram.data() + offset, data.data(), data.size());
            m_written.mark(offset, data.size());
        }
        return;
    }
    if (bar != k_mmio_bar)
        return;
    if (offset >= k_mmio_vga_ports && offset < k_mmio_vga_ports + 0x20) {
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t at = offset - k_mmio_vga_ports + i;
            if (at < 0x20)
                write_vga_port_locked(static_cast<uint16_t>(0x3c0 + at), data[i]);
        }
    } else if (offset >= k_mmio_dispi && offset < k_mmio_dispi + 2 * dispi::k_register_count) {
        const uint64_t reg = offset - k_mmio_dispi;
        if (data.size() == 2 && reg % 2 == 0)
            write_dispi_locked(static_cast<uint16_t>(reg / 2), static_cast<uint16_t>(little_value(data)));
    } else if (offset == k_mmio_qemu_ext + 4 && data.size() == 4) {
        // The framebuffer's byte order as the guest sets it; vireo renders little-endian
        // pixels, which is what an x86 guest asks for.
        auto value = static_cast<uint32_t>(little_value(data));
        if (value == k_little_endian || value == k_big_endian)
            m_byte_order = value;
    }
}

void StdVga::bar_remapped(int bar, std::optional<uint64_t> old_address, std::optional<uint64_t> new_address)
{
    if (bar != k_framebuffer_bar)
        return;
    (void)old_address;
    std::lock_guard guard(m_lock);
    if (m_framebuffer_slot) {
        m_slots.unmap_slot(*m_framebuffer_slot);
        m_framebuffer_slot.reset();
    }
    if (new_address) {
        auto slot = m_slots.map_slot(*new_address, m_vram.size(), m_vram.data(), SlotAccess::ReadWriteDirtyLog);
        if (!slot && slot.error().code != EEXIST) {
            // A KVM without dirty logging for this slot: map it plainly and redraw whole.
            slot = m_slots.map_slot(*new_address, m_vram.size(), m_vram.data(), SlotAccess::ReadWrite);
            if (slot && !m_dirty_log_failed)
                log_warn("VGA: no dirty log for the framebuffer; the display is redrawn whole at every refresh");
            m_dirty_log_failed = m_dirty_log_failed || slot.has_value();
        }
        if (slot)
            m_framebuffer_slot = *slot;
        else // it overlaps other memory (firmware sizing the BAR, or a guest's mistake): accesses exit
            VIREO_GUEST_DEBUG("VGA framebuffer at {:#x}: {}", *new_address, slot.error().describe());
    }
    // What the guest wrote through the old slot since the last refresh is not known.
    m_redraw = true;
}

// ---- State --------------------------------------------------------------------------------

StdVga::State StdVga::save() const
{
    std::lock_guard guard(m_lock);
    return State { m_registers.save(), m_memory.save(), m_dispi.save(), m_byte_order };
}

void StdVga::restore(const State& state)
{
    std::lock_guard guard(m_lock);
    m_registers.restore(state.registers);
    m_memory.restore(state.memory);
    m_dispi.restore(state.dispi);
    m_byte_order = state.byte_order;
    m_redraw = true;
}

void StdVga::reset()
{
    std::lock_guard guard(m_lock);
    m_registers = VgaRegisters {};
    m_memory.restore(VgaMemory::State {});
    m_dispi = BochsDispi(m_vram.size());
    m_byte_order = k_little_endian;
    std::memset(m_vram.data(), 0, m_vram.size());
    m_written.clear();
    m_dirty_log_failed = false;
    std::ranges::fill(m_log_words, 0);
    m_shown = Shown::Nothing;
    m_text_layout = {};
    m_graphics_layout = {};
    m_text = TextRenderer {};
    m_graphics = GraphicsRenderer {};
    m_redraw = true;
    m_rendered_generation = ~uint64_t { 0 };
    m_cursor_phase = false;
    m_blink_phase = false;
}

// ---- Rendering ----------------------------------------------------------------------------

void StdVga::collect_dirty_locked(PageBitmap& pages)
{
    pages.merge(m_written.words());
    m_written.clear();
    if (!m_framebuffer_slot)
        return;
    if (m_dirty_log_failed) {
        pages.mark_all();
        return;
    }
    std::ranges::fill(m_log_words, 0);
    if (auto taken = m_dirty_log.take_dirty_pages(*m_framebuffer_slot, m_log_words); taken) {
        pages.merge(m_log_words);
    } else {
        if (!m_dirty_log_failed)
            log_warn("VGA: {}; the display is redrawn whole at every refresh", taken.error().describe());
        m_dirty_log_failed = true;
        pages.mark_all();
    }
}

DisplayUpdate StdVga::render_update(uint64_t now_ms, DisplaySurface& surface, Redraw redraw)
{
    std::lock_guard guard(m_lock);
    DisplayUpdate update;
    PageBitmap pages(m_vram.size());
    collect_dirty_locked(pages);

    // What the registers say the screen shows.
    Shown shown = Shown::Blank;
    std::optional<TextLayout> text;
    std::optional<GraphicsLayout> graphics;
    if (!m_registers.video_enabled()) {
        shown = Shown::Blank;
    } else if (auto mode = m_dispi.mode(); mode.enabled) {
        graphics = linear_layout(mode);
        shown = Shown::Graphics;
    } else if (m_registers.display_enabled()) {
        const bool graphics_mode = (m_registers.gc(vga::k_gc_misc) & 1) || (m_registers.attr(vga::k_attr_mode_control) & 1);
        if (graphics_mode && (graphics = decode_vga_graphics(m_registers)))
            shown = Shown::Graphics;
        else if (!graphics_mode && (text = decode_text_layout(m_registers)))
            shown = Shown::Text;
    }

    bool full = m_redraw || redraw == Redraw::Everything;
    m_redraw = false;
    const bool changed_layout = shown != m_shown || (text && *text != m_text_layout)
        || (graphics && *graphics != m_graphics_layout);
    // The screen's size: a blank screen keeps the size before (640x480 at first).
    uint32_t width = surface.width() ? surface.width() : k_blank_width;
    uint32_t height = surface.height() ? surface.height() : k_blank_height;
    if (text) {
        width = text->width();
        height = text->height();
        m_text_layout = *text;
    } else if (graphics) {
        width = graphics->width;
        height = graphics->height;
        m_graphics_layout = *graphics;
    }
    if (width != surface.width() || height != surface.height()) {
        (void)surface.resize(width, height); // all black
        update.resized = true;
        full = true;
    } else if (changed_layout || full) {
        // The same size: what is on it is redrawn (and compared) whole; a blank screen is black.
        if (shown == Shown::Blank)
            std::memset(surface.row(0), 0, size_t { width } * height * sizeof(uint32_t)); // one call, not an instrumented loop
        full = true;
    }
    update.resized = update.resized || m_shown == Shown::Nothing || redraw == Redraw::Everything;
    m_shown = shown;

    switch (shown) {
    case Shown::Text: {
        const bool cursor_on = (now_ms / k_cursor_period_ms) % 2 == 0;
        const bool blink_on = (now_ms / k_text_blink_period_ms) % 2 == 0;
        const bool quiet = !full && !pages.any() && m_rendered_generation == m_registers.generation()
            && cursor_on == m_cursor_phase && blink_on == m_blink_phase;
        if (!quiet) {
            m_text.render(*text, decode_text_cursor(m_registers), m_registers, vram(), cursor_on, blink_on, full,
                surface, update.rects);
        }
        m_cursor_phase = cursor_on;
        m_blink_phase = blink_on;
        break;
    }
    case Shown::Graphics:
        if (full || pages.any() || m_rendered_generation != m_registers.generation())
            m_graphics.render(*graphics, m_registers, vram(), pages, full, surface, update.rects);
        break;
    default:
        break;
    }
    m_rendered_generation = m_registers.generation();
    if (full && (update.rects.size() > 1 || shown == Shown::Blank))
        update.rects.assign(1, DirtyRect { 0, 0, surface.width(), surface.height() });
    return update;
}

} // namespace vireo
