package pickle_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/pickle"
)

// FuzzUnmarshal feeds arbitrary bytes to the reader: it must never panic,
// every error must match ErrInvalid, and a value it returns must re-encode
// within MaxExpansion times the input plus ExpansionSlack, and decode again.
// The seeds are Python's pickles of every supported type at protocols 0 to
// 5, Marshal's, the hostile ones and the hostile corpus's classes at 4 KiB.
//
//	go test -fuzz=FuzzUnmarshal -fuzztime=30s ./pickle
func FuzzUnmarshal(f *testing.F) {
	for _, p := range hostilePickles {
		f.Add([]byte(p))
	}
	for _, h := range pickleSeeds {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, v := range pyValues {
		b, err := pickle.Marshal(v.go_)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, v := range pyTypes(f) {
		b, err := pickle.Marshal(v.go_)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, h := range pyTypeSeeds {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, gen := range hostileGens { // the corpus's classes, small
		f.Add(gen(4 << 10))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pickle.Unmarshal(data)
		if err != nil {
			if !errors.Is(err, pickle.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			if strings.HasSuffix(err.Error(), ": internal error") {
				t.Fatalf("the reader panicked (recovered): %v", err)
			}
			return
		}
		b, err := pickle.Marshal(v)
		if err != nil {
			if !errors.Is(err, pickle.ErrUnsupportedValue) {
				t.Fatalf("re-encoding: %v", err)
			}
			return
		}
		if bound := pickle.MaxExpansion*len(data) + pickle.ExpansionSlack; len(b) > bound {
			t.Fatalf("%d bytes re-encode to %d, over %d", len(data), len(b), bound)
		}
		if _, err := pickle.Unmarshal(b); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
	})
}

// FuzzRoundTrip builds values from fuzzed scalars: what Marshal writes,
// Unmarshal reads back equal (strings that are not UTF-8 are refused).
//
//	go test -fuzz=FuzzRoundTrip -fuzztime=30s ./pickle
func FuzzRoundTrip(f *testing.F) {
	f.Add("héllo", int64(-1)<<40, 1.5, []byte{0, 0xff}, true)
	f.Add("", int64(math.MaxInt64), math.Inf(-1), []byte(nil), false)
	paris := mustZone(f, "Europe/Paris")
	f.Fuzz(func(t *testing.T, s string, i int64, x float64, b []byte, ok bool) {
		if b == nil {
			b = []byte{}
		}
		v := map[string]any{
			"s": s, "i": i, "f": x, "b": b, "ok": ok, "none": nil,
			"list":  []any{s, i, pickle.Tuple{x, b}},
			"set":   pickle.Set{i, s},
			"nest":  map[string]any{s: []any{ok}},
			"dec":   pickle.Decimal("1.5"),
			"empty": pickle.Tuple{},
			"ba":    pickle.ByteArray(b),
			"uuid":  pickle.UUID([]byte(fmt.Sprintf("%016x", uint64(i)))),
			"clock": pickle.Time{Hour: int(uint64(i) % 24), Minute: int(uint64(i) % 60), Microsecond: int(uint64(i) % 1e6)},
			"zoned": time.Unix(i%(1<<35), 0).In(paris),
			"od":    pickle.OrderedDict{{Key: s, Value: i}, {Key: pickle.Tuple{i, s}, Value: b}},
			"dict":  pickle.Dict{{Key: pickle.Tuple{s, pickle.FrozenSet{i}}, Value: ok}, {Key: b, Value: nil}},
		}
		p, err := pickle.Marshal(v)
		if err != nil {
			if !errors.Is(err, pickle.ErrUnsupportedValue) {
				t.Fatal(err)
			}
			return
		}
		got, err := pickle.Unmarshal(p)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(v)): %v", err)
		}
		if d := cmp.Diff(v, got, pickleCmp, cmp.Comparer(func(a, b float64) bool {
			return a == b || (a != a && b != b)
		})); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	})
}

// pickleSeeds are Python 3.11's pickle.dumps, protocols 0 to 5, of
// datetime(2024,1,2,3,4,5,6,tzinfo=pytz.utc), {1,2}, {'a':{'b':[1,(2,3)]}},
// 2**100, Decimal('1.5') and date(2024,1,1).
var pickleSeeds = []string{
	"636461746574696d650a6461746574696d650a70300a28635f636f646563730a656e636f64650a70310a285607e801020304055c75303030305c7530303030060a70320a566c6174696e310a70330a7470340a5270350a637079747a0a5f5554430a70360a28745270370a7470380a5270390a2e",
	"636461746574696d650a6461746574696d650a710028635f636f646563730a656e636f64650a710128580b00000007c3a80102030405000006710258060000006c6174696e317103747104527105637079747a0a5f5554430a7106295271077471085271092e",
	"8002636461746574696d650a6461746574696d650a7100635f636f646563730a656e636f64650a7101580b00000007c3a80102030405000006710258060000006c6174696e317103867104527105637079747a0a5f5554430a7106295271078671085271092e",
	"8003636461746574696d650a6461746574696d650a7100430a07e801020304050000067101637079747a0a5f5554430a7102295271038671045271052e",
	"8004953d000000000000008c086461746574696d65948c086461746574696d65949394430a07e80102030405000006948c047079747a948c045f555443949394295294869452942e",
	"8005953d000000000000008c086461746574696d65948c086461746574696d65949394430a07e80102030405000006948c047079747a948c045f555443949394295294869452942e",
	"635f5f6275696c74696e5f5f0a7365740a70300a28286c70310a49310a6149320a617470320a5270330a2e",
	"635f5f6275696c74696e5f5f0a7365740a7100285d7101284b014b02657471025271032e",
	"8002635f5f6275696c74696e5f5f0a7365740a71005d7101284b014b02658571025271032e",
	"8003636275696c74696e730a7365740a71005d7101284b014b02658571025271032e",
	"80049509000000000000008f94284b014b02902e",
	"80059509000000000000008f94284b014b02902e",
	"286470300a56610a70310a286470320a56620a70330a286c70340a49310a612849320a49330a7470350a6173732e",
	"7d710058010000006171017d710258010000006271035d7104284b01284b024b037471056573732e",
	"80027d710058010000006171017d710258010000006271035d7104284b014b024b038671056573732e",
	"80037d710058010000006171017d710258010000006271035d7104284b014b024b038671056573732e",
	"8004951b000000000000007d948c0161947d948c0162945d94284b014b024b0386946573732e",
	"8005951b000000000000007d948c0161947d948c0162945d94284b014b024b0386946573732e",
	"4c313236373635303630303232383232393430313439363730333230353337364c0a2e",
	"4c313236373635303630303232383232393430313439363730333230353337364c0a2e",
	"80028a0d000000000000000000000000102e",
	"80038a0d000000000000000000000000102e",
	"80049510000000000000008a0d000000000000000000000000102e",
	"80059510000000000000008a0d000000000000000000000000102e",
	"63646563696d616c0a446563696d616c0a70300a2856312e350a70310a7470320a5270330a2e",
	"63646563696d616c0a446563696d616c0a7100285803000000312e3571017471025271032e",
	"800263646563696d616c0a446563696d616c0a71005803000000312e3571018571025271032e",
	"800363646563696d616c0a446563696d616c0a71005803000000312e3571018571025271032e",
	"80049521000000000000008c07646563696d616c948c07446563696d616c9493948c03312e3594859452942e",
	"80059521000000000000008c07646563696d616c948c07446563696d616c9493948c03312e3594859452942e",
	"636461746574696d650a646174650a70300a28635f636f646563730a656e636f64650a70310a285607e801010a70320a566c6174696e310a70330a7470340a5270350a7470360a5270370a2e",
	"636461746574696d650a646174650a710028635f636f646563730a656e636f64650a710128580500000007c3a80101710258060000006c6174696e3171037471045271057471065271072e",
	"8002636461746574696d650a646174650a7100635f636f646563730a656e636f64650a7101580500000007c3a80101710258060000006c6174696e3171038671045271058571065271072e",
	"8003636461746574696d650a646174650a7100430407e8010171018571025271032e",
	"80049520000000000000008c086461746574696d65948c0464617465949394430407e8010194859452942e",
	"80059520000000000000008c086461746574696d65948c0464617465949394430407e8010194859452942e",
}

// pyTypeSeeds are Python's pickles of the Python types Django apps cache
// (see pyTypes), at the protocols that write them differently.
var pyTypeSeeds = []string{
	"80059521000000000000008c0475756964948c04555549449493942981947d948c03696e74944d393073622e",                                                                                                                                                                                               // UUID(int=12345), protocol 5
	"63636f70795f7265670a5f7265636f6e7374727563746f720a70300a2863757569640a555549440a70310a635f5f6275696c74696e5f5f0a6f626a6563740a70320a4e7470330a5270340a286470350a56696e740a70360a49370a73622e",                                                                                           // UUID(int=7), protocol 0
	"8002636461746574696d650a6461746574696d650a7100635f636f646563730a656e636f64650a7101580b00000007c3a807010c0000000000710258060000006c6174696e317103867104527105637079747a0a5f700a710628580c0000004575726f70652f506172697371074d201c4d100e580400000043455354710874710952710a86710b52710c2e", // pytz Europe/Paris, protocol 2
	"8004957e000000000000008c086461746574696d65948c086461746574696d65949394430a07e88a1b021e00000000948c086275696c74696e73948c07676574617474729493948c087a6f6e65696e666f948c085a6f6e65496e666f9493948c095f756e7069636b6c6594869452948c0c4575726f70652f5061726973944b0186945294869452942e",     // zoneinfo, fold=1, protocol 4
	"63636f6c6c656374696f6e730a4f726465726564446963740a70300a28745270310a2849310a49320a7470320a635f636f646563730a656e636f64650a70330a2856780a70340a566c6174696e310a70350a7470360a5270370a732e",                                                                                               // OrderedDict([((1, 2), b'x')]), protocol 0
	"80059517000000000000007d944b018c01619486949601000000000000007a94732e", // {(1, 'a'): bytearray(b'z')}, protocol 5
	"636461746574696d650a74696d650a710028635f636f646563730a656e636f64650a7101285806000000010203000004710258060000006c6174696e317103747104527105636461746574696d650a74696d657a6f6e650a710628636461746574696d650a74696d6564656c74610a7107284b004b004b0074710852710974710a52710b74710c52710d2e", // time(1, 2, 3, 4, tzinfo=utc), protocol 1
}
