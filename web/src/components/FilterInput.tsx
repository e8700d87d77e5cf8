// A search field that filters a page's list as one types.

export function FilterInput({
  label,
  placeholder,
  value,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (text: string) => void;
}) {
  return (
    <input
      class="field"
      type="search"
      placeholder={placeholder}
      aria-label={label}
      value={value}
      onInput={(e) => onChange(e.currentTarget.value)}
    />
  );
}
