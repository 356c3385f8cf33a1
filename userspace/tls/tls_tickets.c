// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Session ticket keys shared by every worker and listener, rotated on a timer: a client resumes on any worker. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "tls/tls_int.h"

/*
 * Three slots used in turn: the current key encrypts, the current and the
 * previous one decrypt (a ticket lives one to two rotation periods), and a
 * rotation writes the third, which no handshake reads any more. A handshake
 * reads `gen` once; nothing is locked but the rotation itself.
 */
struct ticket_key {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
	uint64_t born_ms;
};

static struct ticket_key keys[3];
static _Atomic uint64_t gen;          /* the current key is keys[gen % 3]; 0: none made yet */
static _Atomic uint32_t rotate_ms = 3600000;
static pthread_mutex_t rotate_lock = PTHREAD_MUTEX_INITIALIZER;

/* rotate() - make key @next (gen + 1) current. Under rotate_lock. */
static void rotate(uint64_t next)
{
	struct ticket_key *k = &keys[next % 3];

	if (RAND_priv_bytes(k->name, sizeof(k->name)) != 1 || RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) != 1) {
		log_warn("tls: session ticket key: no randomness; keeping the current key");
		return;
	}
	k->born_ms = clock_mono_ms();
	atomic_store_explicit(&gen, next, memory_order_release);
}

/* current() - the encrypting key's generation, rotated first when it is older than rotate_ms. */
static uint64_t current(void)
{
	uint64_t g = atomic_load_explicit(&gen, memory_order_acquire);

	if (g && clock_mono_ms() - keys[g % 3].born_ms < atomic_load_explicit(&rotate_ms, memory_order_relaxed))
		return g;
	if (pthread_mutex_trylock(&rotate_lock) == 0) {
		if (atomic_load(&gen) == g)
			rotate(g + 1);
		pthread_mutex_unlock(&rotate_lock);
	}
	return atomic_load_explicit(&gen, memory_order_acquire);
}

static int mac_init(EVP_MAC_CTX *hctx, unsigned char *key)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, 32),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	return EVP_MAC_CTX_set_params(hctx, params);
}

/*
 * ticket_cb() - OpenSSL's ticket key callback. Encrypting: 1. Decrypting: 1
 * with the current key, 2 with the previous one (the client gets a ticket of
 * the current key), 0 for a key we no longer have (a full handshake).
 */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
		     EVP_MAC_CTX *hctx, int enc)
{
	uint64_t g = current();

	(void)ssl;
	if (!g)
		return enc ? -1 : 0;
	if (enc) {
		struct ticket_key *k = &keys[g % 3];

		memcpy(name, k->name, sizeof(k->name));
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    !EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) || !mac_init(hctx, k->hmac))
			return -1;
		return 1;
	}
	for (uint64_t back = 0; back < 2 && back < g; back++) {
		struct ticket_key *k = &keys[(g - back) % 3];

		if (memcmp(name, k->name, sizeof(k->name)))
			continue;
		if (!mac_init(hctx, k->hmac) || !EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv))
			return -1;
		return back ? 2 : 1;
	}
	return 0;
}

void tls_tickets_attach(SSL_CTX *ctx, uint32_t every_ms)
{
	uint32_t cur = atomic_load(&rotate_ms);

	/* one key set for the process: the shortest period any listener asks for */
	if (every_ms && (every_ms < cur || !atomic_load(&gen)))
		atomic_store(&rotate_ms, every_ms);
	pthread_mutex_lock(&rotate_lock);
	if (!atomic_load(&gen))
		rotate(1);
	pthread_mutex_unlock(&rotate_lock);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
}
