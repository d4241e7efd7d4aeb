package codec

import "github.com/secureredis/secureredis/pickle"

// Tuple is a Python tuple: pickle.Tuple.
type Tuple = pickle.Tuple

// Set is a Python set: pickle.Set.
type Set = pickle.Set

// FrozenSet is a Python frozenset: pickle.FrozenSet.
type FrozenSet = pickle.FrozenSet

// Decimal is a Python decimal.Decimal kept as its exact text: pickle.Decimal.
type Decimal = pickle.Decimal

// Date is a Python datetime.date: pickle.Date.
type Date = pickle.Date

// NaiveDateTime is a Python datetime.datetime without tzinfo:
// pickle.NaiveDateTime.
type NaiveDateTime = pickle.NaiveDateTime

// Time is a Python datetime.time: pickle.Time.
type Time = pickle.Time

// UUID is a Python uuid.UUID: pickle.UUID.
type UUID = pickle.UUID

// ByteArray is a Python bytearray: pickle.ByteArray.
type ByteArray = pickle.ByteArray

// DictItem is one key and value of an OrderedDict or a Dict:
// pickle.DictItem.
type DictItem = pickle.DictItem

// OrderedDict is a Python collections.OrderedDict: pickle.OrderedDict.
type OrderedDict = pickle.OrderedDict

// Dict is a Python dict with keys Go cannot use as map keys (tuples,
// frozensets, bytes): pickle.Dict.
type Dict = pickle.Dict

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
