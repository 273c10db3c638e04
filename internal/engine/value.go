package engine

import (
	"reflect"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/rootwatch/rootwatch/internal/model"
)

// converter turns a snapshot value into CEL values (maps, lists, scalars),
// named by the JSON tags so rules see the snapshot's JSON shape. The values
// are CEL's own, so evaluation never adapts Go values again.
// Times that are not known (a zero time, a Stamp holding only an absence
// marker) and nil pointers or maps are left out, so rules test them with
// has(). Fields tagged `cel:"-"` are not shown to rules. It is built once
// per type by walking the type, so converting an
// account costs no reflection on struct tags.
type converter func(v reflect.Value) (ref.Val, bool)

// toCEL converts with a converter built on the spot; the engine keeps one
// built converter for accounts instead.
func toCEL(v any) ref.Val {
	rv := reflect.ValueOf(v)
	out, _ := newConverter(rv.Type())(rv)
	return out
}

func newConverter(t reflect.Type) converter {
	switch t {
	case reflect.TypeFor[time.Time]():
		return func(v reflect.Value) (ref.Val, bool) {
			tm := v.Interface().(time.Time)
			return types.Timestamp{Time: tm}, !tm.IsZero()
		}
	case reflect.TypeFor[model.Stamp]():
		return func(v reflect.Value) (ref.Val, bool) {
			s := v.Interface().(model.Stamp)
			return types.Timestamp{Time: s.Time}, s.IsSet()
		}
	case reflect.TypeFor[time.Duration]():
		return func(v reflect.Value) (ref.Val, bool) { return types.Duration{Duration: time.Duration(v.Int())}, true }
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := newConverter(t.Elem())
		return func(v reflect.Value) (ref.Val, bool) {
			if v.IsNil() {
				return nil, false
			}
			return elem(v.Elem())
		}
	case reflect.Interface:
		return func(v reflect.Value) (ref.Val, bool) {
			if v.IsNil() {
				return nil, false
			}
			e := v.Elem()
			return newConverter(e.Type())(e)
		}
	case reflect.Struct:
		type field struct {
			name  types.String
			index int
			conv  converter
		}
		var fields []field
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || f.Tag.Get("cel") == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, field{name: types.String(name), index: i, conv: newConverter(f.Type)})
		}
		return func(v reflect.Value) (ref.Val, bool) {
			m := make(map[ref.Val]ref.Val, len(fields))
			for _, f := range fields {
				if fv, ok := f.conv(v.Field(f.index)); ok {
					m[f.name] = fv
				}
			}
			return types.NewRefValMap(types.DefaultTypeAdapter, m), true
		}
	case reflect.Slice, reflect.Array:
		elem := newConverter(t.Elem())
		return func(v reflect.Value) (ref.Val, bool) {
			l := make([]ref.Val, 0, v.Len())
			for i := range v.Len() {
				if ev, ok := elem(v.Index(i)); ok {
					l = append(l, ev)
				}
			}
			return types.NewRefValList(types.DefaultTypeAdapter, l), true
		}
	case reflect.Map:
		elem := newConverter(t.Elem())
		return func(v reflect.Value) (ref.Val, bool) {
			if v.IsNil() {
				return nil, false
			}
			m := make(map[ref.Val]ref.Val, v.Len())
			it := v.MapRange()
			for it.Next() {
				if ev, ok := elem(it.Value()); ok {
					m[types.String(it.Key().String())] = ev
				}
			}
			return types.NewRefValMap(types.DefaultTypeAdapter, m), true
		}
	case reflect.Bool:
		return func(v reflect.Value) (ref.Val, bool) { return types.Bool(v.Bool()), true }
	case reflect.String:
		return func(v reflect.Value) (ref.Val, bool) { return types.String(v.String()), true }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) (ref.Val, bool) { return types.Int(v.Int()), true }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(v reflect.Value) (ref.Val, bool) { return types.Uint(v.Uint()), true }
	case reflect.Float32, reflect.Float64:
		return func(v reflect.Value) (ref.Val, bool) { return types.Double(v.Float()), true }
	}
	return func(reflect.Value) (ref.Val, bool) { return nil, false }
}
