/* sl.h: shapelab's engine, one include for programs built on it (lessons, the CLI, tests).
 *
 * The engine is plain C11 with no dependency beyond libm (and POSIX threads, unless built with
 * SL_NO_THREADS): tensors and shapes, the layer interface and its layers, models (Sequential and
 * functional) with their memory plan, the trace that observers listen to, the gradient checker,
 * the safetensors format, and the fast kernels with their threads.
 */
#ifndef SL_H
#define SL_H

#include "layers/activation.h"
#include "alloc.h"
#include "args.h"
#include "arena.h"
#include "layers/conv.h"
#include "error.h"
#include "gradcheck.h"
#include "init.h"
#include "loss.h"
#include "json.h"
#include "kernels/kernels.h"
#include "layer.h"
#include "model.h"
#include "npy.h"
#include "optim.h"
#include "pad.h"
#include "receptive.h"
#include "rng.h"
#include "layers/rnn.h"
#include "safetensors.h"
#include "tensor.h"
#include "trace.h"
#include "train.h"

#define SL_VERSION "0.1.0"

#endif
