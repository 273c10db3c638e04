package engine

import (
	"reflect"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// toCEL turns a snapshot value into the maps, lists and scalars CEL reads,
// named by the JSON tags so rules see the snapshot's JSON shape. Times that
// are not known (a zero time, a Stamp holding only an absence marker) and
// nil pointers or maps are left out, so rules test them with has().
func toCEL(v any) any {
	out, _ := convert(reflect.ValueOf(v))
	return out
}

func convert(v reflect.Value) (any, bool) {
	if !v.IsValid() {
		return nil, false
	}
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		t := v.Interface().(time.Time)
		return t, !t.IsZero()
	case reflect.TypeFor[model.Stamp]():
		s := v.Interface().(model.Stamp)
		return s.Time, s.IsSet()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		return convert(v.Elem())
	case reflect.Struct:
		m := make(map[string]any, v.NumField())
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if fv, ok := convert(v.Field(i)); ok {
				m[name] = fv
			}
		}
		return m, true
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return []any{}, true
		}
		l := make([]any, 0, v.Len())
		for i := range v.Len() {
			if ev, ok := convert(v.Index(i)); ok {
				l = append(l, ev)
			}
		}
		return l, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		m := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			if ev, ok := convert(it.Value()); ok {
				m[it.Key().String()] = ev
			}
		}
		return m, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.String:
		return v.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			return time.Duration(v.Int()), true
		}
		return v.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint(), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return nil, false
}
