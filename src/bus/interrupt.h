#pragma once
// Interrupt interfaces that devices use; the VM (src/kvm) implements them with KVM_IRQ_LINE,
// GSI routing and irqfd. Tests implement them with fakes.
#include <cstdint>
#include <optional>

#include "base/result.h"

namespace vireo {

// A wire to the in-kernel PIC/IOAPIC (ISA IRQ or PCI INTx).
class InterruptLine {
public:
    virtual ~InterruptLine() = default;
    virtual void set_level(bool high) = 0;
};

// An MSI message as the guest programmed it (PCI 3.0 §6.8).
struct MsiMessage {
    uint64_t address = 0;
    uint32_t data = 0;
};

// Routes MSI(-X) vectors to KVM: a GSI per vector, an irqfd per GSI so that back ends raise
// interrupts by writing an eventfd without a trip through a vCPU thread.
class MsiRouter {
public:
    virtual ~MsiRouter() = default;
    [[nodiscard]] virtual Result<uint32_t> allocate_gsi() = 0;
    [[nodiscard]] virtual Result<void> set_msi_route(uint32_t gsi, MsiMessage message) = 0;
    [[nodiscard]] virtual Result<void> attach_irqfd(uint32_t gsi, int event_fd) = 0;
    virtual void detach_irqfd(uint32_t gsi, int event_fd) = 0;
};

// Registers ioeventfds: a guest write to address makes KVM signal event_fd without exiting to us.
// With a datamatch, only writes of that value do (several eventfds can share one address).
class IoEventRegistrar {
public:
    enum class Space { Pio, Mmio };
    virtual ~IoEventRegistrar() = default;
    [[nodiscard]] virtual Result<void> add_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
        std::optional<uint64_t> datamatch = {}) = 0;
    virtual void remove_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
        std::optional<uint64_t> datamatch = {}) = 0;
};

} // namespace vireo
