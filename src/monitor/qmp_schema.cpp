#include "monitor/qmp_schema.h"

namespace vireo {

namespace schema {

namespace {

TypeRef make_builtin(const char* name)
{
    auto type = std::make_shared<SchemaType>();
    type->kind = SchemaType::Kind::Builtin;
    type->builtin = name;
    return type;
}

} // namespace

TypeRef str()
{
    static const TypeRef type = make_builtin("str");
    return type;
}

TypeRef integer()
{
    static const TypeRef type = make_builtin("int");
    return type;
}

TypeRef number()
{
    static const TypeRef type = make_builtin("number");
    return type;
}

TypeRef boolean()
{
    static const TypeRef type = make_builtin("bool");
    return type;
}

TypeRef any()
{
    static const TypeRef type = make_builtin("any");
    return type;
}

TypeRef empty_object()
{
    static const TypeRef type = object({});
    return type;
}

TypeRef enumeration(std::vector<std::string> values)
{
    auto type = std::make_shared<SchemaType>();
    type->kind = SchemaType::Kind::Enum;
    type->values = std::move(values);
    return type;
}

TypeRef object(std::vector<SchemaMember> members)
{
    auto type = std::make_shared<SchemaType>();
    type->kind = SchemaType::Kind::Object;
    type->members = std::move(members);
    return type;
}

TypeRef array(TypeRef element)
{
    auto type = std::make_shared<SchemaType>();
    type->kind = SchemaType::Kind::Array;
    type->element = std::move(element);
    return type;
}

} // namespace schema

namespace {

// The word QEMU's input visitor uses for what it expected.
const char* expected_word(const SchemaType& type)
{
    switch (type.kind) {
    case SchemaType::Kind::Enum:
        return "string";
    case SchemaType::Kind::Object:
        return "object";
    case SchemaType::Kind::Array:
        return "array";
    case SchemaType::Kind::Builtin:
        break;
    }
    if (type.builtin == "str")
        return "string";
    if (type.builtin == "int")
        return "integer";
    if (type.builtin == "number")
        return "number";
    if (type.builtin == "bool")
        return "boolean";
    if (type.builtin == "null")
        return "null";
    return "value";
}

std::optional<QmpError> check_value(const SchemaType& type, const Json& value, const std::string& name)
{
    auto wrong_type = [&] {
        return QmpError { QmpErrorClass::GenericError,
            fmt::format("Invalid parameter type for '{}', expected: {}", name, expected_word(type)) };
    };
    switch (type.kind) {
    case SchemaType::Kind::Builtin:
        if (type.builtin == "any")
            return std::nullopt;
        if ((type.builtin == "str" && !value.is_string()) || (type.builtin == "int" && !value.is_number_integer())
            || (type.builtin == "number" && !value.is_number()) || (type.builtin == "bool" && !value.is_boolean())
            || (type.builtin == "null" && !value.is_null()))
            return wrong_type();
        return std::nullopt;
    case SchemaType::Kind::Enum: {
        if (!value.is_string())
            return wrong_type();
        const auto& text = value.get_ref<const std::string&>();
        for (const auto& allowed : type.values) {
            if (allowed == text)
                return std::nullopt;
        }
        return QmpError { QmpErrorClass::GenericError,
            fmt::format("Parameter '{}' does not accept value '{}'", name, text) };
    }
    case SchemaType::Kind::Array:
        if (!value.is_array())
            return wrong_type();
        for (size_t i = 0; i < value.size(); ++i) {
            if (auto error = check_value(*type.element, value[i], fmt::format("{}[{}]", name, i)))
                return error;
        }
        return std::nullopt;
    case SchemaType::Kind::Object:
        if (!value.is_object())
            return wrong_type();
        break;
    }
    // Unexpected members first, as QEMU's visitor finds them: then missing, then types.
    for (const auto& [key, member_value] : value.items()) {
        bool known = false;
        for (const auto& member : type.members)
            known = known || member.name == key;
        if (!known)
            return QmpError { QmpErrorClass::GenericError,
                fmt::format("Parameter '{}' is unexpected", name.empty() ? key : name + "." + key) };
    }
    for (const auto& member : type.members) {
        std::string full = name.empty() ? member.name : name + "." + member.name;
        auto found = value.find(member.name);
        if (found == value.end()) {
            if (!member.optional)
                return QmpError { QmpErrorClass::GenericError, fmt::format("Parameter '{}' is missing", full) };
            continue;
        }
        if (auto error = check_value(*member.type, *found, full))
            return error;
    }
    return std::nullopt;
}

const char* json_type_of_builtin(const std::string& builtin)
{
    if (builtin == "str")
        return "string";
    if (builtin == "int")
        return "int";
    if (builtin == "number")
        return "number";
    if (builtin == "bool")
        return "boolean";
    if (builtin == "null")
        return "null";
    return "value";
}

} // namespace

std::optional<QmpError> check_arguments(const SchemaType& type, const Json& arguments)
{
    return check_value(type, arguments, {});
}

std::string SchemaBuilder::name_of(const TypeRef& type)
{
    if (auto known = m_names.find(type.get()); known != m_names.end())
        return known->second;
    if (type->kind == SchemaType::Kind::Builtin) {
        m_names[type.get()] = type->builtin;
        m_entries.push_back(Json { { "name", type->builtin }, { "meta-type", "builtin" },
            { "json-type", json_type_of_builtin(type->builtin) } });
        return type->builtin;
    }
    std::string name = std::to_string(m_next++);
    m_names[type.get()] = name; // before the members: a type may (one day) refer to itself
    Json entry { { "name", name } };
    switch (type->kind) {
    case SchemaType::Kind::Enum: {
        entry["meta-type"] = "enum";
        Json members = Json::array();
        for (const auto& value : type->values)
            members.push_back(Json { { "name", value } });
        entry["members"] = std::move(members);
        entry["values"] = type->values;
        break;
    }
    case SchemaType::Kind::Array: {
        // QEMU names an array after its element: two array types of one element are one entry.
        auto element = name_of(type->element);
        name = "[" + element + "]";
        m_names[type.get()] = name;
        if (!m_arrays.insert(name).second)
            return name;
        entry["name"] = name;
        entry["meta-type"] = "array";
        entry["element-type"] = element;
        break;
    }
    case SchemaType::Kind::Object: {
        entry["meta-type"] = "object";
        Json members = Json::array();
        for (const auto& member : type->members) {
            Json item { { "name", member.name }, { "type", name_of(member.type) } };
            if (member.optional)
                item["default"] = nullptr;
            members.push_back(std::move(item));
        }
        entry["members"] = std::move(members);
        break;
    }
    case SchemaType::Kind::Builtin:
        break;
    }
    m_entries.push_back(std::move(entry));
    return name;
}

void SchemaBuilder::add_command(const std::string& name, const TypeRef& arguments, const TypeRef& result,
    bool allow_oob)
{
    Json entry { { "name", name }, { "meta-type", "command" }, { "arg-type", name_of(arguments) },
        { "ret-type", name_of(result) } };
    if (allow_oob)
        entry["allow-oob"] = true;
    m_entries.push_back(std::move(entry));
}

void SchemaBuilder::add_event(const std::string& name, const TypeRef& data)
{
    m_entries.push_back(Json { { "name", name }, { "meta-type", "event" }, { "arg-type", name_of(data) } });
}

} // namespace vireo
