package catalog

import (
	"fmt"
	"strings"
)

// dtypeSizes maps every dtype spelling llmsim accepts to its size in bytes. The spellings are
// the ones found in Hugging Face configs (torch_dtype), in vLLM flags and in Vidur configs.
var dtypeSizes = map[string]float64{
	"fp32": 4, "float32": 4,
	"fp16": 2, "float16": 2, "half": 2,
	"bf16": 2, "bfloat16": 2,
	"fp8": 1, "float8": 1, "e4m3": 1, "fp8_e4m3": 1, "float8_e4m3fn": 1, "e5m2": 1, "fp8_e5m2": 1,
	"int8": 1,
	"fp4":  0.5, "nvfp4": 0.5, "mxfp4": 0.5,
}

// DtypeBytes returns the size in bytes of one element of dtype (case-insensitive): fp32/float32,
// fp16/float16, bf16/bfloat16, fp8/float8/e4m3, int8, fp4.
func DtypeBytes(dtype string) (float64, error) {
	if b, ok := dtypeSizes[strings.ToLower(strings.TrimSpace(dtype))]; ok {
		return b, nil
	}
	return 0, fmt.Errorf("catalog: unknown dtype %q (known: fp32, fp16, bf16, fp8, int8, fp4 and their long names)", dtype)
}

// canonicalDtype returns the short name of dtype (bfloat16 → bf16), or "" when it is unknown.
func canonicalDtype(dtype string) string {
	switch b, ok := dtypeSizes[strings.ToLower(strings.TrimSpace(dtype))]; {
	case !ok:
		return ""
	case b == 4:
		return "fp32"
	case b == 0.5:
		return "fp4"
	case b == 1 && strings.Contains(strings.ToLower(dtype), "int"):
		return "int8"
	case b == 1:
		return "fp8"
	case strings.HasPrefix(strings.ToLower(strings.TrimSpace(dtype)), "b"):
		return "bf16"
	default:
		return "fp16"
	}
}
