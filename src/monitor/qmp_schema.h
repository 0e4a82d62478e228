#pragma once
// The types of command arguments, results and event data, as a small QAPI: builtins, enums,
// objects (members, some optional) and arrays. One description serves two ends: checking a
// command's arguments (with QEMU's error messages) and the introspection that
// query-qmp-schema returns (QEMU 7.2's SchemaInfo: commands and events whose arg-type and
// ret-type name object, enum, array and builtin entries).
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "monitor/qmp_json.h"

namespace vireo {

struct SchemaType;
using TypeRef = std::shared_ptr<const SchemaType>;

struct SchemaMember {
    std::string name;
    TypeRef type;
    bool optional = false;
};

struct SchemaType {
    enum class Kind { Builtin, Enum, Object, Array };
    Kind kind = Kind::Builtin;
    std::string builtin;               // Builtin: "str", "int", "number", "bool", "any", "null"
    std::vector<std::string> values;   // Enum
    std::vector<SchemaMember> members; // Object
    TypeRef element;                   // Array
};

namespace schema {
[[nodiscard]] TypeRef str();
[[nodiscard]] TypeRef integer();
[[nodiscard]] TypeRef number();
[[nodiscard]] TypeRef boolean();
[[nodiscard]] TypeRef any();
[[nodiscard]] TypeRef empty_object(); // the argument type of commands without arguments
[[nodiscard]] TypeRef enumeration(std::vector<std::string> values);
[[nodiscard]] TypeRef object(std::vector<SchemaMember> members);
[[nodiscard]] TypeRef array(TypeRef element);
} // namespace schema

// Checks arguments (a JSON object) against an object type: QEMU's GenericError messages
// "Parameter 'x' is unexpected", "Parameter 'x' is missing", "Invalid parameter type for 'x',
// expected: integer", "Parameter 'x' does not accept value 'y'". Nested names read "a.b".
[[nodiscard]] std::optional<QmpError> check_arguments(const SchemaType& type, const Json& arguments);

// Builds query-qmp-schema's array. Type entries get QEMU-style opaque names ("0", "1", ...,
// builtins by their own name), each once however often it is referenced.
class SchemaBuilder {
public:
    void add_command(const std::string& name, const TypeRef& arguments, const TypeRef& result, bool allow_oob);
    void add_event(const std::string& name, const TypeRef& data);
    [[nodiscard]] Json take() { return std::move(m_entries); }

private:
    std::string name_of(const TypeRef& type);

    Json m_entries = Json::array();
    std::unordered_map<const SchemaType*, std::string> m_names;
    std::unordered_set<std::string> m_arrays; // array entries made ("[str]")
    unsigned m_next = 0;
};

} // namespace vireo
