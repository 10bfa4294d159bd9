#define _GNU_SOURCE
#include "CDatagramBatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

/// Control room per datagram: one SCM_TIMESTAMPNS (a timespec) and slack for another.
#define CONTROL_SIZE (CMSG_SPACE(sizeof(struct timespec)) * 2)

struct switchback_datagram_batch {
    int capacity;
    int slot_size;
    int count;
    uint8_t *data;
    struct sockaddr_storage *sources;
    uint8_t *controls;
    struct iovec *iovecs;
    struct mmsghdr *headers;
};

switchback_datagram_batch *switchback_datagram_batch_create(int capacity, int slot_size) {
    if (capacity <= 0 || slot_size <= 0) return NULL;
    switchback_datagram_batch *batch = calloc(1, sizeof(*batch));
    if (batch == NULL) return NULL;
    batch->capacity = capacity;
    batch->slot_size = slot_size;
    batch->data = malloc((size_t)capacity * (size_t)slot_size);
    batch->sources = calloc((size_t)capacity, sizeof(struct sockaddr_storage));
    batch->controls = calloc((size_t)capacity, CONTROL_SIZE);
    batch->iovecs = calloc((size_t)capacity, sizeof(struct iovec));
    batch->headers = calloc((size_t)capacity, sizeof(struct mmsghdr));
    if (!batch->data || !batch->sources || !batch->controls || !batch->iovecs || !batch->headers) {
        switchback_datagram_batch_destroy(batch);
        return NULL;
    }
    for (int i = 0; i < capacity; i++) {
        batch->iovecs[i].iov_base = batch->data + (size_t)i * (size_t)slot_size;
        batch->iovecs[i].iov_len = (size_t)slot_size;
    }
    return batch;
}

void switchback_datagram_batch_destroy(switchback_datagram_batch *batch) {
    if (batch == NULL) return;
    free(batch->data);
    free(batch->sources);
    free(batch->controls);
    free(batch->iovecs);
    free(batch->headers);
    free(batch);
}

int switchback_datagram_batch_receive(switchback_datagram_batch *batch, int fd) {
    // The kernel writes the lengths back into each header: set them afresh per read.
    for (int i = 0; i < batch->capacity; i++) {
        struct msghdr *header = &batch->headers[i].msg_hdr;
        header->msg_name = &batch->sources[i];
        header->msg_namelen = sizeof(struct sockaddr_storage);
        header->msg_iov = &batch->iovecs[i];
        header->msg_iovlen = 1;
        header->msg_control = batch->controls + (size_t)i * CONTROL_SIZE;
        header->msg_controllen = CONTROL_SIZE;
        header->msg_flags = 0;
        batch->headers[i].msg_len = 0;
    }
    int count;
    do {
        count = recvmmsg(fd, batch->headers, (unsigned int)batch->capacity, MSG_DONTWAIT, NULL);
    } while (count < 0 && errno == EINTR);
    if (count < 0) {
        batch->count = 0;
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    }
    batch->count = count;
    return count;
}

const uint8_t *switchback_datagram_batch_payload(const switchback_datagram_batch *batch, int index,
                                                  int *length, int *truncated) {
    if (index < 0 || index >= batch->count) {
        *length = 0;
        if (truncated != NULL) *truncated = 0;
        return batch->data;
    }
    *length = (int)batch->headers[index].msg_len;
    if (truncated != NULL) *truncated = (batch->headers[index].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    return batch->data + (size_t)index * (size_t)batch->slot_size;
}

const struct sockaddr *switchback_datagram_batch_source(const switchback_datagram_batch *batch, int index,
                                                         socklen_t *length) {
    if (index < 0 || index >= batch->count) {
        *length = 0;
        return (const struct sockaddr *)&batch->sources[0];
    }
    *length = batch->headers[index].msg_hdr.msg_namelen;
    return (const struct sockaddr *)&batch->sources[index];
}

uint64_t switchback_datagram_batch_arrival(const switchback_datagram_batch *batch, int index) {
    if (index < 0 || index >= batch->count) return 0;
    struct msghdr *header = (struct msghdr *)&batch->headers[index].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
            return (uint64_t)stamp.tv_sec * 1000000000u + (uint64_t)stamp.tv_nsec;
        }
    }
    return 0;
}

int switchback_enable_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == 0 ? 0 : -errno;
}
