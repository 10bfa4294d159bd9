#ifndef SWITCHBACK_CDATAGRAMBATCH_H
#define SWITCHBACK_CDATAGRAMBATCH_H

#include <stdint.h>
#include <sys/socket.h>

/// Datagrams read from one socket with one `recvmmsg`, each with its source address and
/// the kernel's receive time (`SO_TIMESTAMPNS`). Swift's Glibc module does not show
/// `recvmmsg`, `mmsghdr` or the `CMSG_*` macros (they need `_GNU_SOURCE`), hence C.
typedef struct switchback_datagram_batch switchback_datagram_batch;

/// Room for `capacity` datagrams of up to `slot_size` octets; NULL when out of memory.
switchback_datagram_batch *switchback_datagram_batch_create(int capacity, int slot_size);
void switchback_datagram_batch_destroy(switchback_datagram_batch *batch);

/// Reads what is waiting on `fd` without blocking: the number of datagrams read (0 when
/// none was waiting), or -errno.
int switchback_datagram_batch_receive(switchback_datagram_batch *batch, int fd);

/// Datagram `index` of the last read: its octets (cut to the slot size: `*truncated`, when
/// not NULL, then is 1), its source, and its arrival in nanoseconds of CLOCK_REALTIME (0 when the
/// kernel gave no time).
const uint8_t *switchback_datagram_batch_payload(const switchback_datagram_batch *batch, int index,
                                                  int *length, int *truncated);
const struct sockaddr *switchback_datagram_batch_source(const switchback_datagram_batch *batch, int index,
                                                         socklen_t *length);
uint64_t switchback_datagram_batch_arrival(const switchback_datagram_batch *batch, int index);

/// Asks the kernel to stamp each datagram received on `fd` (SO_TIMESTAMPNS): 0, or -errno.
int switchback_enable_receive_timestamps(int fd);

#endif
