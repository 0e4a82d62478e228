#include "monitor/qmp_session.h"

#include <exception>
#include <vector>

namespace vireo {

namespace {

Json error_reply(const QmpError& error, const Json* id)
{
    Json reply { { "error", Json { { "class", error_class_name(error.error_class) }, { "desc", error.desc } } } };
    if (id)
        reply["id"] = *id;
    return reply;
}

QmpError generic(std::string desc)
{
    return QmpError { QmpErrorClass::GenericError, std::move(desc) };
}

} // namespace

Json qmp_version_info()
{
    return Json { { "qemu", Json { { "micro", 0 }, { "minor", 2 }, { "major", 7 } } },
        { "package", fmt::format("vireo {}", VIREO_VERSION) } };
}

std::string QmpSession::greeting() const
{
    return frame(Json { { "QMP", Json { { "version", qmp_version_info() }, { "capabilities", Json::array({ "oob" }) } } } });
}

std::string QmpSession::frame(const Json& message) const
{
    return to_json_text(message, m_style == QmpStyle::Pretty) + "\r\n";
}

QmpSession::Status QmpSession::feed(std::string_view bytes, std::string& out)
{
    std::vector<JsonStreamReader::Message> messages;
    auto status = m_reader.feed(bytes, messages);
    for (const auto& message : messages) {
        if (message.too_deep) {
            out += frame(error_reply(generic("JSON parse error, nesting too deep"), nullptr));
            continue;
        }
        Json request = Json::parse(message.text, nullptr, false);
        if (request.is_discarded()) {
            out += frame(error_reply(generic("JSON parse error, invalid JSON"), nullptr));
            continue;
        }
        out += frame(handle(request));
    }
    if (status == JsonStreamReader::Status::TooLarge) {
        out += frame(error_reply(generic("JSON message too large; closing the connection"), nullptr));
        return Status::Drop;
    }
    return Status::Ok;
}

Json QmpSession::handle(const Json& request)
{
    if (!request.is_object())
        return error_reply(generic("QMP input must be a JSON object"), nullptr);
    const Json* id = nullptr;
    if (auto found = request.find("id"); found != request.end())
        id = &*found;

    // The envelope, checked as QEMU does (qmp_dispatch_check_obj).
    const Json* execute = nullptr;
    const Json* execute_oob = nullptr;
    Json arguments = Json::object();
    for (const auto& [key, value] : request.items()) {
        if (key == "execute" || key == "exec-oob") {
            if (!value.is_string())
                return error_reply(generic(fmt::format("QMP input member '{}' must be a string", key)), id);
            (key == "execute" ? execute : execute_oob) = &value;
        } else if (key == "arguments") {
            if (!value.is_object())
                return error_reply(generic("QMP input member 'arguments' must be an object"), id);
            arguments = value;
        } else if (key != "id") {
            return error_reply(generic(fmt::format("QMP input member '{}' is unexpected", key)), id);
        }
    }
    if (execute && execute_oob)
        return error_reply(generic("QMP input must not contain both 'execute' and 'exec-oob'"), id);
    if (!execute && !execute_oob)
        return error_reply(generic("QMP input lacks member 'execute'"), id);
    const auto& name = (execute ? execute : execute_oob)->get_ref<const std::string&>();
    if (execute_oob && !m_state.oob)
        return error_reply(generic("Please enable out-of-band first for the session during capabilities negotiation"),
            id);

    bool negotiation = name == "qmp_capabilities";
    if (!m_state.negotiated && !negotiation)
        return error_reply(
            QmpError { QmpErrorClass::CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'" },
            id);
    if (m_state.negotiated && negotiation)
        return error_reply(
            QmpError { QmpErrorClass::CommandNotFound, "Capabilities negotiation is already complete, command ignored" },
            id);

    const QmpCommand* command = m_commands.find(name);
    if (!command)
        return error_reply(
            QmpError { QmpErrorClass::CommandNotFound, fmt::format("The command {} has not been found", name) }, id);
    if (execute_oob && !command->allow_oob)
        return error_reply(generic(fmt::format("The command {} does not support OOB", name)), id);
    if (auto error = check_arguments(*command->arguments, arguments))
        return error_reply(*error, id);

    QmpResult result;
    try {
        result = command->handler(arguments, m_state);
    } catch (const std::exception& exception) {
        // A handler's slip (a JSON access of the wrong type) is an error reply, never an
        // exception through the event loop.
        result = qmp_error(QmpErrorClass::GenericError, "internal error in {}: {}", name, exception.what());
    }
    if (!result)
        return error_reply(result.error(), id);
    Json reply { { "return", std::move(*result) } };
    if (id)
        reply["id"] = *id;
    return reply;
}

} // namespace vireo
