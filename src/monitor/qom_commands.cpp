#include "monitor/qom_commands.h"

#include <array>

namespace vireo {

namespace {

using schema::array;
using schema::boolean;
using schema::object;
using schema::str;

struct TypeEntry {
    const char* name;
    const char* parent;
    bool abstract;
    std::vector<std::pair<const char*, const char*>> properties; // name, QOM type: what vireo reads
};

// QEMU's type names and parents for what vireo implements.
const std::vector<TypeEntry>& known_types()
{
    static const std::vector<TypeEntry> types {
        { "device", "object", true, {} },
        { "pci-device", "device", true, { { "addr", "int32" }, { "multifunction", "bool" } } },
        { "virtio-pci", "pci-device", true, {} },
        { "virtio-blk-pci", "virtio-pci", false,
            { { "drive", "str" }, { "bootindex", "int32" }, { "serial", "str" }, { "num-queues", "uint16" },
                { "queue-size", "uint16" }, { "addr", "int32" } } },
        { "virtio-net-pci", "virtio-pci", false,
            { { "netdev", "str" }, { "mac", "str" }, { "bootindex", "int32" }, { "queue-size", "uint16" },
                { "addr", "int32" } } },
        { "virtio-rng-pci", "virtio-pci", false, { { "addr", "int32" } } },
        { "virtio-keyboard-pci", "virtio-pci", false, { { "serial", "str" }, { "addr", "int32" } } },
        { "virtio-mouse-pci", "virtio-pci", false, { { "serial", "str" }, { "addr", "int32" } } },
        { "virtio-tablet-pci", "virtio-pci", false, { { "serial", "str" }, { "addr", "int32" } } },
        { "virtio-serial-pci", "virtio-pci", false, { { "addr", "int32" } } },
        { "virtconsole", "device", false, { { "chardev", "str" }, { "name", "str" } } },
        { "VGA", "pci-device", false, { { "vgamem_mb", "uint32" }, { "romfile", "str" }, { "addr", "int32" } } },
        { "machine", "object", true, {} },
        { "x86-machine", "machine", true, {} },
        { "pc-i440fx-7.2-machine", "x86-machine", false, {} },
        { "none-machine", "machine", false, {} },
        { "secret", "object", false, { { "data", "str" }, { "file", "str" }, { "format", "str" } } },
    };
    return types;
}

const TypeEntry* find_type(const std::string& name)
{
    for (const auto& type : known_types()) {
        if (name == type.name)
            return &type;
    }
    return nullptr;
}

// Whether `type` is `ancestor` or derives from it.
bool implements(const TypeEntry& type, const std::string& ancestor)
{
    for (const TypeEntry* walk = &type; walk; walk = find_type(walk->parent)) {
        if (ancestor == walk->name)
            return true;
    }
    return ancestor == "object";
}

Json property_list(const TypeEntry& type)
{
    Json list = Json::array();
    for (const TypeEntry* walk = &type; walk; walk = find_type(walk->parent)) {
        for (const auto& [name, kind] : walk->properties) {
            bool seen = false;
            for (const auto& existing : list)
                seen = seen || existing["name"] == name;
            if (!seen)
                list.push_back(Json { { "name", name }, { "type", kind } });
        }
    }
    return list;
}

} // namespace

void register_qom_commands(CommandTable& table)
{
    auto type_info = object({ { "name", str() }, { "abstract", boolean(), true }, { "parent", str(), true } });
    table.add({ "qom-list-types", object({ { "implements", str(), true }, { "abstract", boolean(), true } }),
        array(type_info), [](const Json& arguments, QmpSessionState&) -> QmpResult {
            std::string wanted = arguments.value("implements", std::string());
            bool with_abstract = arguments.value("abstract", false);
            Json list = Json::array();
            for (const auto& type : known_types()) {
                if ((type.abstract && !with_abstract) || (!wanted.empty() && !implements(type, wanted)))
                    continue;
                Json entry { { "name", type.name }, { "parent", type.parent } };
                if (type.abstract)
                    entry["abstract"] = true;
                list.push_back(std::move(entry));
            }
            return list;
        } });
    auto property_info = object({ { "name", str() }, { "type", str() }, { "description", str(), true } });
    table.add({ "device-list-properties", object({ { "typename", str() } }), array(property_info),
        [](const Json& arguments, QmpSessionState&) -> QmpResult {
            auto name = arguments.at("typename").get<std::string>();
            const TypeEntry* type = find_type(name);
            if (!type)
                return qmp_error(QmpErrorClass::DeviceNotFound, "Device '{}' not found", name);
            if (!implements(*type, "device"))
                return qmp_error(QmpErrorClass::GenericError, "'{}' is not a device type", name);
            if (type->abstract)
                return qmp_error(QmpErrorClass::GenericError, "Parameter 'typename' expects a non-abstract device type");
            return property_list(*type);
        } });
    table.add({ "qom-list-properties", object({ { "typename", str() } }), array(property_info),
        [](const Json& arguments, QmpSessionState&) -> QmpResult {
            auto name = arguments.at("typename").get<std::string>();
            const TypeEntry* type = find_type(name);
            if (!type)
                return qmp_error(QmpErrorClass::GenericError, "Class '{}' not found", name);
            return property_list(*type);
        } });
}

} // namespace vireo
