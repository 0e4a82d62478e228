#pragma once
// libvncserver's rfbNewClient for a connection the gate (ui/vnc_connection_gate.h) let through,
// so that libvncserver's wait for a WebSocket handshake never waits.
#include "base/unique_fd.h"

struct _rfbScreenInfo;
struct _rfbClientRec;

namespace vireo {

// Hands `fd` to libvncserver as a new client of `screen`; null when libvncserver refused it
// (the socket is closed then).
//   spoke: the client's first bytes are waiting in the socket, and libvncserver's check reads
//     them at once.
//   silent (an RFB client waiting for the server's greeting): libvncserver meets a stand-in
//     socket that already holds "RFB " (so its check passes at once), then the client's socket
//     takes the stand-in's number and gets the greeting libvncserver wrote to the stand-in.
[[nodiscard]] _rfbClientRec* rfb_new_client(_rfbScreenInfo* screen, UniqueFd fd, bool spoke);

} // namespace vireo
