import * as React from 'react';

/** The part of @rjsf/utils' WidgetProps this widget uses. */
export interface DelimiterWidgetProps {
  id: string;
  value?: unknown;
  required?: boolean;
  disabled?: boolean;
  readonly?: boolean;
  autofocus?: boolean;
  options?: { auto?: boolean };
  onChange(value: unknown): void;
  onBlur?(id: string, value: unknown): void;
  onFocus?(id: string, value: unknown): void;
}

const PRESETS: Array<[string, string]> = [
  [',', 'Comma ,'],
  [';', 'Semicolon ;'],
  ['\t', 'Tab'],
  ['|', 'Pipe |'],
];
const OTHER = '__other__';

/** A form widget for a CSV delimiter: the usual ones by name, auto-detection, or any other. */
export function DelimiterWidget(props: DelimiterWidgetProps) {
  const value = typeof props.value === 'string' ? props.value : '';
  const presets = props.options?.auto ? [...PRESETS, ['auto', 'Detect from the first line'] as [string, string]] : PRESETS;
  const isPreset = presets.some(([preset]) => preset === value);
  const [other, setOther] = React.useState(!isPreset && value !== '');
  const locked = props.disabled || props.readonly;
  return (
    <span style={{ display: 'inline-flex', gap: 8 }} data-piper-widget="delimiter">
      <select
        id={props.id}
        value={other ? OTHER : value}
        disabled={locked}
        autoFocus={props.autofocus}
        onChange={(event) => {
          if (event.target.value === OTHER) {
            setOther(true);
            return;
          }
          setOther(false);
          props.onChange(event.target.value);
        }}
        onBlur={() => props.onBlur?.(props.id, value)}
        onFocus={() => props.onFocus?.(props.id, value)}
      >
        {!props.required && !value && !other && <option value="">Default</option>}
        {presets.map(([preset, label]) => (
          <option key={preset} value={preset}>
            {label}
          </option>
        ))}
        <option value={OTHER}>Other…</option>
      </select>
      {other && (
        <input
          aria-label="Delimiter"
          value={value}
          maxLength={4}
          disabled={locked}
          onChange={(event) => props.onChange(event.target.value === '' ? undefined : event.target.value)}
        />
      )}
    </span>
  );
}
