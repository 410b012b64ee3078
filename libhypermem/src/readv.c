// SPDX-License-Identifier: MIT
/*
 * Vectored reads: many ranges in one HM_OP_READV round trip (protocol.h
 * has the layout), one READ per piece for a guest without the op. During
 * the read each piece's result counts the bytes it already has.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

/* Pieces per request: bounds the stack, well above what a page can hold. */
#define BATCH_MAX 256u
#define PIECE_SIZE sizeof(struct hm_readv_piece)

static size_t left_of(const struct hm_iovec *v)
{
	return v->len - (size_t)v->result;
}

static bool complete(const struct hm_iovec *v)
{
	return v->result == (ssize_t)v->len;
}

static bool batchable(const struct hm_vcpu *vcpu, const struct hm_iovec *v)
{
	return (vcpu->guest.features & HM_FEATURE_READV) &&
	       left_of(v) <= vcpu->chunk - PIECE_SIZE;
}

/* Pick unfinished pieces from *next on while table and bytes fit. */
static size_t gather(const struct hm_vcpu *vcpu, const struct hm_iovec *v,
		     size_t n, size_t *next, size_t *picked)
{
	size_t used = 0, count = 0, i;

	for (i = *next; i < n && count < BATCH_MAX; i++) {
		size_t need = PIECE_SIZE + left_of(&v[i]);

		if (complete(&v[i]))
			continue;
		if (need > vcpu->chunk - used)
			break;
		used += need;
		picked[count++] = i;
	}
	*next = i;
	return count;
}

static void put_table(struct hm_vcpu *vcpu, const struct hm_iovec *v,
		      const size_t *picked, size_t count)
{
	struct hm_readv_piece p;
	size_t k;

	for (k = 0; k < count; k++) {
		const struct hm_iovec *piece = &v[picked[k]];

		p.addr = hm_le64(piece->addr + (size_t)piece->result);
		p.len = hm_le64(left_of(piece));
		memcpy(region_data(vcpu) + k * PIECE_SIZE, &p, PIECE_SIZE);
	}
}

/* A piece that got fewer bytes than it asked for faulted: it is over. */
static void finish(struct hm_iovec *v, uint64_t got)
{
	bool short_read = got < left_of(v);

	v->result += (ssize_t)got;
	if (short_read && !v->result)
		v->result = -EFAULT;
}

/*
 * Every length is read from the region once and checked against what was
 * asked before any byte is used: another vCPU may be rewriting the region.
 */
static int check_lengths(struct hm_vcpu *vcpu, const struct hm_iovec *v,
			 const size_t *picked, size_t count,
			 const struct reply *reply, uint64_t *got)
{
	uint64_t total = count * PIECE_SIZE;
	struct hm_readv_piece p;
	size_t k;

	if (reply->code == HM_RESP_READ_FAIL)
		return guest_errno(vcpu, reply->size);
	if (reply->code != HM_RESP_READ_OK || reply->addr != count)
		return protocol_error(vcpu);
	for (k = 0; k < count; k++) {
		memcpy(&p, region_data(vcpu) + k * PIECE_SIZE, PIECE_SIZE);
		got[k] = hm_le64(p.len);
		if (got[k] > left_of(&v[picked[k]]))
			return protocol_error(vcpu);
		total += got[k];
	}
	return total == reply->size ? 0 : protocol_error(vcpu);
}

static int read_batch(struct hm_vcpu *vcpu, struct hm_iovec *v, size_t n,
		      size_t *next)
{
	size_t picked[BATCH_MAX], count, k, offset;
	uint64_t got[BATCH_MAX];
	struct reply reply;
	int err;

	count = gather(vcpu, v, n, next, picked);
	put_table(vcpu, v, picked, count);
	err = vcpu_request(vcpu, HM_OP_READV, count, count * PIECE_SIZE,
			   &reply);
	if (!err)
		err = check_lengths(vcpu, v, picked, count, &reply, got);
	if (err)
		return err;
	offset = count * PIECE_SIZE;
	for (k = 0; k < count; k++) {
		struct hm_iovec *piece = &v[picked[k]];

		memcpy((char *)piece->buf + piece->result,
		       region_data(vcpu) + offset, got[k]);
		offset += got[k];
		finish(piece, got[k]);
	}
	return 0;
}

static int read_one(struct hm_vcpu *vcpu, struct hm_iovec *v)
{
	size_t want = left_of(v);
	ssize_t got = read_cooperative(vcpu, v->addr + (size_t)v->result,
				       (char *)v->buf + v->result, want);

	if (got == -EFAULT)
		got = 0;
	if (got < 0)
		return (int)got;
	finish(v, (uint64_t)got);
	return 0;
}

int readv_cooperative(struct hm_vcpu *vcpu, struct hm_iovec *v, size_t n)
{
	size_t next = 0;
	int err = 0;

	while (!err && next < n) {
		if (complete(&v[next]))
			next++;
		else if (!batchable(vcpu, &v[next]))
			err = read_one(vcpu, &v[next++]);
		else
			err = read_batch(vcpu, v, n, &next);
	}
	return err;
}

/* Direct reads first; in hybrid mode what they miss stays unfinished. */
static int read_direct_pieces(struct hm_vcpu *vcpu, struct hm_iovec *v,
			      size_t n, bool hybrid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ssize_t got = direct_copy(vcpu, v[i].addr, v[i].buf, v[i].len,
					  false);

		if (got == -EOPNOTSUPP && hybrid)
			got = 0;
		if (got < 0)
			return (int)got;
		v[i].result = got;
		if (!hybrid && !got && v[i].len)
			v[i].result = -EFAULT;
	}
	return 0;
}

static int check_pieces(struct hm_vcpu *vcpu, struct hm_iovec *v, size_t n)
{
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i].len > SSIZE_MAX ||
		    (v[i].len && v[i].addr + (v[i].len - 1) < v[i].addr))
			return -EINVAL;
		v[i].result = 0;
	}
	return vcpu_can_request(vcpu);
}

ssize_t hm_vcpu_readv(struct hm_vcpu *vcpu, struct hm_iovec *pieces, size_t n)
{
	OPERATION(vcpu);
	enum hm_read_mode mode = vcpu_read_mode(vcpu);
	ssize_t full = 0;
	size_t i;
	int err = check_pieces(vcpu, pieces, n);

	if (!err && mode != HM_READ_COOPERATIVE)
		err = read_direct_pieces(vcpu, pieces, n,
					 mode == HM_READ_HYBRID);
	if (!err && mode != HM_READ_DIRECT)
		err = readv_cooperative(vcpu, pieces, n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		full += complete(&pieces[i]);
	return full;
}
