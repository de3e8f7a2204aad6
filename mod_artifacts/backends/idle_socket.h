// Whether a pooled connection that sits idle is still open: nothing may arrive on it while
// no request is under way, so a readable socket means the peer closed it (or sent its
// parting error). Used by the MariaDB and the Swift connection pools alike.
#pragma once

#include <poll.h>

namespace artifacts {

inline bool idle_socket_is_quiet(int fd) {
    pollfd watched{fd, POLLIN, 0};
    return ::poll(&watched, 1, 0) == 0;
}

}  // namespace artifacts
