//go:build amd64 && !purego

#include "textflag.h"

// One step of the AES-128 key schedule: X0 holds round key i-1 and becomes
// round key i. X1 = SubWord(RotWord(last word)) ^ rcon, in every word; X0's
// words are replaced by their prefix XORs, then X1 is added.
#define EXPAND(rcon) \
	AESKEYGENASSIST $rcon, X0, X1; \
	PSHUFD          $0xff, X1, X1; \
	MOVOU           X0, X2; \
	PSLLDQ          $4, X2; \
	PXOR            X2, X0; \
	PSLLDQ          $4, X2; \
	PXOR            X2, X0; \
	PSLLDQ          $4, X2; \
	PXOR            X2, X0; \
	PXOR            X1, X0

// Round key i (1 to 9) goes to decryption position 10-i through AESIMC.
#define MIDDLE(rcon, off) \
	EXPAND(rcon); \
	AESIMC X0, X3; \
	MOVUPS X3, off(BX)

// func expandKey128(key, dec *byte)
TEXT ·expandKey128(SB), NOSPLIT, $0-16
	MOVQ   key+0(FP), AX
	MOVQ   dec+8(FP), BX
	MOVUPS (AX), X0
	MOVUPS X0, 160(BX)
	MIDDLE(0x01, 144)
	MIDDLE(0x02, 128)
	MIDDLE(0x04, 112)
	MIDDLE(0x08, 96)
	MIDDLE(0x10, 80)
	MIDDLE(0x20, 64)
	MIDDLE(0x40, 48)
	MIDDLE(0x80, 32)
	MIDDLE(0x1b, 16)
	EXPAND(0x36)
	MOVUPS X0, (BX)
	RET

// One decryption round, with the round key at off(AX), on blocks X0 to X7.
#define ROUND8(off) \
	MOVUPS off(AX), X8; \
	AESDEC X8, X0; \
	AESDEC X8, X1; \
	AESDEC X8, X2; \
	AESDEC X8, X3; \
	AESDEC X8, X4; \
	AESDEC X8, X5; \
	AESDEC X8, X6; \
	AESDEC X8, X7

// func decryptCBC(dec, iv, buf *byte, n int)
//
// AX: round keys; SI: the next block; CX: blocks left; X9: the ciphertext
// block before SI's (the IV first). Eight blocks at a time while there are
// eight, then one at a time. Every ciphertext block a plaintext block needs
// is read before that group's plaintext is written over it.
TEXT ·decryptCBC(SB), NOSPLIT, $0-32
	MOVQ   dec+0(FP), AX
	MOVQ   iv+8(FP), BX
	MOVQ   buf+16(FP), SI
	MOVQ   n+24(FP), CX
	MOVUPS (BX), X9
	CMPQ   CX, $8
	JB     single

eight:
	MOVUPS     (AX), X8
	MOVUPS     0(SI), X0
	MOVUPS     16(SI), X1
	MOVUPS     32(SI), X2
	MOVUPS     48(SI), X3
	MOVUPS     64(SI), X4
	MOVUPS     80(SI), X5
	MOVUPS     96(SI), X6
	MOVUPS     112(SI), X7
	PXOR       X8, X0
	PXOR       X8, X1
	PXOR       X8, X2
	PXOR       X8, X3
	PXOR       X8, X4
	PXOR       X8, X5
	PXOR       X8, X6
	PXOR       X8, X7
	ROUND8(16)
	ROUND8(32)
	ROUND8(48)
	ROUND8(64)
	ROUND8(80)
	ROUND8(96)
	ROUND8(112)
	ROUND8(128)
	ROUND8(144)
	MOVUPS     160(AX), X8
	AESDECLAST X8, X0
	AESDECLAST X8, X1
	AESDECLAST X8, X2
	AESDECLAST X8, X3
	AESDECLAST X8, X4
	AESDECLAST X8, X5
	AESDECLAST X8, X6
	AESDECLAST X8, X7
	PXOR       X9, X0
	MOVUPS     0(SI), X8
	PXOR       X8, X1
	MOVUPS     16(SI), X8
	PXOR       X8, X2
	MOVUPS     32(SI), X8
	PXOR       X8, X3
	MOVUPS     48(SI), X8
	PXOR       X8, X4
	MOVUPS     64(SI), X8
	PXOR       X8, X5
	MOVUPS     80(SI), X8
	PXOR       X8, X6
	MOVUPS     96(SI), X8
	PXOR       X8, X7
	MOVUPS     112(SI), X9
	MOVUPS     X0, 0(SI)
	MOVUPS     X1, 16(SI)
	MOVUPS     X2, 32(SI)
	MOVUPS     X3, 48(SI)
	MOVUPS     X4, 64(SI)
	MOVUPS     X5, 80(SI)
	MOVUPS     X6, 96(SI)
	MOVUPS     X7, 112(SI)
	ADDQ       $128, SI
	SUBQ       $8, CX
	CMPQ       CX, $8
	JAE        eight

single:
	TESTQ CX, CX
	JE    done

one:
	MOVUPS     (SI), X0
	MOVUPS     X0, X10
	MOVUPS     (AX), X8
	PXOR       X8, X0
	MOVUPS     16(AX), X8
	AESDEC     X8, X0
	MOVUPS     32(AX), X8
	AESDEC     X8, X0
	MOVUPS     48(AX), X8
	AESDEC     X8, X0
	MOVUPS     64(AX), X8
	AESDEC     X8, X0
	MOVUPS     80(AX), X8
	AESDEC     X8, X0
	MOVUPS     96(AX), X8
	AESDEC     X8, X0
	MOVUPS     112(AX), X8
	AESDEC     X8, X0
	MOVUPS     128(AX), X8
	AESDEC     X8, X0
	MOVUPS     144(AX), X8
	AESDEC     X8, X0
	MOVUPS     160(AX), X8
	AESDECLAST X8, X0
	PXOR       X9, X0
	MOVUPS     X10, X9
	MOVUPS     X0, (SI)
	ADDQ       $16, SI
	DECQ       CX
	JNZ        one

done:
	RET
